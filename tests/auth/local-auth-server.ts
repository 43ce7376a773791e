import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Kysely } from "kysely";
import { authRoutes } from "../../local/auth/auth-routes.ts";
import type { Clock } from "../../shared/platform/clock.ts";
import { mintApiKey } from "../../shared/platform/jwt-mint.ts";

/**
 * The local Auth stand-in (local/auth/auth-routes.ts) served over a real socket on 127.0.0.1:0, with every
 * request recorded as it arrived. `legacyClient` drops the client's X-Supabase-Api-Version before the
 * server sees it, which is what a client older than 2024-01-01 sends, so the legacy error shape is served.
 */
export interface LocalAuthServerOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>;
  jwtSecret: string;
  clock?: Clock;
  legacyClient?: boolean;
  /** The project's API keys; minted from the secret when absent. Two servers of one test share them. */
  keys?: { anonKey: string; serviceRoleKey: string };
}

export interface LocalAuthServer {
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  requests: { method: string; path: string; headers: Record<string, string>; body: string }[];
  close(): Promise<void>;
}

export async function startLocalAuthServer(options: LocalAuthServerOptions): Promise<LocalAuthServer> {
  // A key minted by the caller in another second carries another exp and is another key: callers
  // use the returned keys (or pass theirs), never a second mint.
  const anonKey = options.keys?.anonKey ?? (await mintApiKey(options.jwtSecret, "anon"));
  const serviceRoleKey =
    options.keys?.serviceRoleKey ?? (await mintApiKey(options.jwtSecret, "service_role"));
  const requests: LocalAuthServer["requests"] = [];
  // Built once the port is known: the tokens' issuer is the server's own URL.
  const inner: { routes?: Hono } = {};
  const outer = new Hono();
  outer.all("*", async (c) => {
    const url = new URL(c.req.url);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const body = c.req.method === "GET" || c.req.method === "HEAD" ? "" : await c.req.raw.clone().text();
    requests.push({ method: c.req.method, path: url.pathname + url.search, headers, body });
    const forwarded = new Headers(c.req.raw.headers);
    if (options.legacyClient) forwarded.delete("x-supabase-api-version");
    return inner.routes!.fetch(
      new Request(c.req.url, {
        method: c.req.method,
        headers: forwarded,
        body: body === "" ? undefined : body,
      }),
    );
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: outer.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  inner.routes = authRoutes({
    db: options.db,
    jwtSecret: options.jwtSecret,
    publicUrl: url,
    anonKey,
    serviceRoleKey,
    clock: options.clock,
  });
  return {
    url,
    anonKey,
    serviceRoleKey,
    requests,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
