import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppDeps, ApiEnv } from "../deps.ts";
import type { RequestLogEntry } from "../request-log.ts";

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,100}$/;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Request id in and out (X-Request-Id: a well-formed incoming one is kept, so a trace spans the gateway
 * and us), one structured log line per request, and one api_request_logs row written after the response.
 * The route logged is the matched pattern (`/api/generation/status/:id`), never the concrete path, so
 * ids do not leak into logs and the performance stats group by endpoint.
 */
export function requestContext(deps: AppDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const started = deps.clock.monotonicMs();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("log", deps.logger.child({ request_id: requestId }));
    c.set("user", null);
    c.set("accessToken", null);
    await next();
    c.header("X-Request-Id", requestId);
    const duration = Math.max(0, Math.round(deps.clock.monotonicMs() - started));
    const matched = routePath(c, -1);
    const route = matched === "*" || matched === "/*" || matched === "" ? "(unmatched)" : matched;
    const user = c.get("user");
    const errorCode = c.res.headers.get("x-synth-error-code");
    c.res.headers.delete("x-synth-error-code");
    const method = METHODS.has(c.req.method) ? (c.req.method as RequestLogEntry["method"]) : "GET";
    const entry: RequestLogEntry = {
      request_id: requestId,
      user_id: user?.id ?? null,
      method,
      route: route.slice(0, 500),
      status: c.res.status,
      duration_ms: duration,
      bytes_in: Number(c.req.header("content-length") ?? 0) || 0,
      bytes_out: Number(c.res.headers.get("content-length") ?? 0) || 0,
      error_code: errorCode,
    };
    c.get("log").log(c.res.status >= 500 ? "error" : "info", "request", {
      user_id: entry.user_id,
      method,
      route: entry.route,
      status: entry.status,
      duration_ms: duration,
      ...(errorCode ? { error_code: errorCode } : {}),
    });
    deps.requestLog.record(entry);
  };
}
