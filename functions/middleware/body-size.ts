import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { synthError } from "../../shared/errors.ts";
import type { ApiEnv } from "../deps.ts";

/**
 * 413 before a body is read whole: a declared Content-Length over the limit is refused at once, and a
 * chunked body is counted as it streams and cut off at the limit. Uploads get their own, larger limit.
 */
export function bodySize(limits: { bodyBytes: number; uploadBytes: number }): MiddlewareHandler<ApiEnv> {
  const refuse = (max: number) => () => {
    throw synthError("PAYLOAD_TOO_LARGE", `the request body is larger than the limit of ${max} bytes`, {
      limitBytes: max,
    });
  };
  const upload = bodyLimit({ maxSize: limits.uploadBytes, onError: refuse(limits.uploadBytes) });
  const other = bodyLimit({ maxSize: limits.bodyBytes, onError: refuse(limits.bodyBytes) });
  return (c, next) => (/\/upload\/dataset$/.test(c.req.path) ? upload(c, next) : other(c, next));
}
