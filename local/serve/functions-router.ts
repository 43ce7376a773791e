import { Hono } from "hono";

export type EdgeFunction = (request: Request) => Response | Promise<Response>;

/**
 * The Edge Functions gateway: `/functions/v1/<name>/...` reaches the function `<name>` with the path it
 * would see on Supabase, `/<name>/...` (the gateway strips `/functions/v1`; the function's Hono app has
 * basePath `/<name>`). Method, headers and body pass through untouched, so the function does its own CORS
 * and token checks exactly as it does behind the hosted runtime (verify_jwt = false in config.toml).
 */
export function functionsRouter(functions: Record<string, EdgeFunction>): Hono {
  const app = new Hono();
  app.all("/functions/v1/:name{[^/]+}/*", (c) => forward(c.req.raw, functions, c.req.param("name")));
  app.all("/functions/v1/:name{[^/]+}", (c) => forward(c.req.raw, functions, c.req.param("name")));
  return app;
}

async function forward(
  request: Request,
  functions: Record<string, EdgeFunction>,
  name: string,
): Promise<Response> {
  const fn = Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (fn === undefined) {
    // The hosted runtime's answer for an unknown function name.
    return Response.json({ code: "NOT_FOUND", message: "Requested function was not found" }, { status: 404 });
  }
  const url = new URL(request.url);
  url.pathname = url.pathname.slice("/functions/v1".length);
  const init: RequestInit & { duplex?: "half" } = {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: request.signal,
    redirect: "manual",
  };
  if (request.body !== null) init.duplex = "half";
  return fn(new Request(url, init));
}
