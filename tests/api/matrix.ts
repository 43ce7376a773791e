import { expect } from "vitest";
import type { ApiResponse, ApiUser, Harness } from "./harness.ts";

export type Who = "anon" | "owner" | "other" | "disabled" | "admin";

export interface MatrixCase<R> {
  /** Arranges a fresh resource owned by `owner` (a new one per caller, so mutating calls do not interfere). */
  arrange(h: Harness, owner: ApiUser): Promise<R>;
  /** The request under test, as `caller` (null = no token). */
  act(h: Harness, caller: ApiUser | null, resource: R): Promise<ApiResponse>;
  /** Expected status per caller. Another user's id must be 404, never the row; a disabled user 403. */
  expect: Record<Who, number>;
  /** Optional check of the body for the callers that succeed. */
  check?: (res: ApiResponse, who: Who, resource: R) => void | Promise<void>;
}

/**
 * The authorisation matrix of one route: anonymous, the owner, another user, the owner once disabled
 * (banned through auth.users.banned_until, as Supabase Auth's admin API does) and an admin.
 */
export async function runMatrix<R>(h: Harness, c: MatrixCase<R>): Promise<void> {
  for (const who of ["anon", "owner", "other", "disabled", "admin"] as const) {
    const owner = await h.user();
    const resource = await c.arrange(h, owner);
    let caller: ApiUser | null = null;
    if (who === "owner" || who === "disabled") caller = owner;
    if (who === "other") caller = await h.user();
    if (who === "admin") caller = await h.user({ admin: true });
    if (who === "disabled") {
      await h.su`update auth.users set banned_until = now() + interval '1 day' where id = ${owner.id}`;
    }
    const res = await c.act(h, caller, resource);
    expect(res.status, `${who}: ${res.text.slice(0, 300)}`).toBe(c.expect[who]);
    expect(res.body.success, who).toBe(res.status < 400);
    if (res.status >= 400) expect(res.body.error?.code, who).toMatch(/^[A-Z_]+$/);
    if (res.status < 400) await c.check?.(res, who, resource);
  }
}
