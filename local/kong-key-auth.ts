import type { MiddlewareHandler } from "hono";

/**
 * Kong's key-auth in front of every Supabase service (reference/supabase-protocols.md 1.6): the `apikey`
 * (header, or query parameter as Kong also accepts) must be one of the project's keys, else 401 with
 * Kong's own body. Which key it was is left on the context as `apiKeyRole`, because PostgREST falls back
 * to that role when no bearer is sent.
 */
export function kongKeyAuth(keys: { anonKey: string; serviceRoleKey: string }): MiddlewareHandler<{
  Variables: { apiKeyRole: "anon" | "service_role" };
}> {
  return async (c, next) => {
    const key = c.req.header("apikey") ?? c.req.query("apikey");
    if (key === undefined || key === "") return c.json({ message: "No API key found in request" }, 401);
    if (key !== keys.anonKey && key !== keys.serviceRoleKey)
      return c.json({ message: "Invalid authentication credentials" }, 401);
    c.set("apiKeyRole", key === keys.serviceRoleKey ? "service_role" : "anon");
    await next();
  };
}
