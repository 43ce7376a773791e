import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { ApiEnv } from "../deps.ts";

/**
 * CORS from configuration only: the listed origins get credentials and the headers supabase-js sends;
 * every other origin gets no CORS headers at all (config refuses '*').
 */
export function cors(origins: string[]): MiddlewareHandler<ApiEnv> {
  const allowed = new Set(origins);
  const inner = honoCors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"],
    allowHeaders: ["authorization", "apikey", "content-type", "x-client-info", "x-request-id", "x-region"],
    exposeHeaders: ["x-request-id", "retry-after", "content-disposition"],
    maxAge: 600,
  });
  // Another origin gets nothing, not even Access-Control-Allow-Credentials.
  return (c, next) => (allowed.has(c.req.header("origin") ?? "") ? inner(c, next) : next());
}
