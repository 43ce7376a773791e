import type { MiddlewareHandler } from "hono";
import { synthError } from "../../shared/errors.ts";
import type { AppDeps, ApiEnv } from "../deps.ts";

/**
 * Verifies the bearer token when there is one. functions-js sends the project's anon key as the bearer
 * when nobody is signed in, so that key means "anonymous", not an error. A token that is present but bad
 * is refused here, whatever the route, so a client learns at once that its session broke.
 */
export function authenticate(deps: AppDeps): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined || header.trim() === "") return next();
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) {
      throw synthError("INVALID_TOKEN", "the Authorization header must be 'Bearer <access token>'");
    }
    const token = match[1];
    if (token === deps.config.anonKey) return next();
    c.set("user", await deps.verifier.verify(token));
    c.set("accessToken", token);
    return next();
  };
}
