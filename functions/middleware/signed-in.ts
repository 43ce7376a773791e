import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "../deps.ts";
import { requireUser } from "../context.ts";

/**
 * Route middleware (createRoute's `middleware`) for endpoints that need a user: it runs before the
 * request validators, so an anonymous caller is told 401 whatever body it sent, instead of a 400 that
 * describes a request it may not make at all.
 */
export const signedIn: MiddlewareHandler<ApiEnv> = async (c, next) => {
  requireUser(c);
  await next();
};
