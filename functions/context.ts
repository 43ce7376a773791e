import type { Context } from "hono";
import { sql } from "kysely";
import { synthError } from "../shared/errors.ts";
import { asServiceRole, type Tx } from "../shared/platform/db.ts";
import type { AppDeps, ApiEnv, VerifiedUser } from "./deps.ts";
import { okBody } from "./envelope.ts";

export type ApiContext = Context<ApiEnv>;

/** The signed-in caller, or 401: routes that need a user call this first. */
export function requireUser(c: ApiContext): VerifiedUser {
  const user = c.get("user");
  if (user === null) {
    throw synthError("UNAUTHORIZED", "sign in first: this endpoint needs a user's access token");
  }
  return user;
}

/** Admins only; the role comes from app_metadata (set by the service role), never from user_metadata. */
export function requireAdmin(c: ApiContext): VerifiedUser {
  const user = requireUser(c);
  if (user.role !== "admin") throw synthError("FORBIDDEN", "this endpoint is for administrators");
  return user;
}

/**
 * One transaction as the caller (role authenticated, request.jwt.claims set): RLS decides what they see.
 * The same statement that sets the role asks public.is_active(), so a disabled (banned) user is told so
 * instead of seeing an empty platform, without an extra round trip.
 */
export async function asCaller<T>(deps: AppDeps, user: VerifiedUser, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return deps.db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ active: boolean }>`
      select set_config('role', 'authenticated', true),
             set_config('request.jwt.claims', ${JSON.stringify(user.claims)}, true),
             public.is_active() as active`.execute(tx);
    if (rows[0]?.active !== true) {
      throw synthError("ACCOUNT_DISABLED", "this account is disabled; contact an administrator");
    }
    return fn(tx);
  });
}

/** The named bypass of RLS for admin paths: `scope` says why and is visible to triggers as synth.service_scope. */
export function asService<T>(deps: AppDeps, scope: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return asServiceRole(deps.db, scope, fn);
}

/**
 * A per-user rate limit counted in Postgres (public.take_rate_limit), so it holds across Edge Function
 * isolates. It runs in its own transaction: a request that fails later still spent its attempt.
 */
export async function takeRateLimit(
  deps: AppDeps,
  user: VerifiedUser,
  bucket: string,
  limit: { max: number; windowSeconds: number },
): Promise<void> {
  const retryAfter = await asCaller(deps, user, async (tx) => {
    const { rows } = await sql<{ retry_after: number }>`
      select public.take_rate_limit(${bucket}, ${limit.max}, ${limit.windowSeconds}) as retry_after`.execute(
      tx,
    );
    return Number(rows[0]?.retry_after ?? 0);
  });
  if (retryAfter > 0) {
    throw synthError("RATE_LIMITED", `too many ${bucket.replace(/_/g, " ")}: try again in ${retryAfter} s`, {
      retryAfterSeconds: retryAfter,
      limit: limit.max,
      windowSeconds: limit.windowSeconds,
    });
  }
}

/** The envelope's success answer. */
export function ok<T, S extends 200 | 201 | 202 = 200>(
  c: ApiContext,
  deps: AppDeps,
  data: T,
  message = "ok",
  status?: S,
) {
  return c.json(okBody(data, message, deps.clock.now()), (status ?? 200) as S);
}

/** Page parameters every list endpoint takes: `page` from 1, `page_size` up to 100. */
export function pageWindow(page: number, pageSize: number): { limit: number; offset: number } {
  return { limit: pageSize, offset: (page - 1) * pageSize };
}
