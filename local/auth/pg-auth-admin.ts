import type { Kysely } from "kysely";
import { isSynthError, notFound, synthError } from "../../shared/errors.ts";
import {
  BAN_FOREVER_SECONDS,
  parseListUsersOptions,
  parseUserId,
  type AuthAdmin,
  type AuthUser,
} from "../../shared/platform/auth-admin.ts";
import { isoTimestamp } from "../../shared/platform/timestamp.ts";
import { deleteAuthUser, listAuthUsers, readAuthUser, setBannedFor, type AuthUserRow } from "./auth-users.ts";

/** The auth admin port straight on auth.users of our PostgreSQL, for where there is no GoTrue. */

export const toAuthUser = (row: AuthUserRow): AuthUser => ({
  id: row.id,
  email: row.email,
  bannedUntil: isoTimestamp(row.banned_until),
  appMetadata: row.raw_app_meta_data ?? {},
});

async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isSynthError(error)) throw error;
    const sqlState = (error as { code?: unknown }).code;
    if (sqlState === "42501") {
      throw synthError(
        "FORBIDDEN",
        `${what}: the database connection may not act as Supabase Auth`,
        {},
        error,
      );
    }
    throw synthError("AUTH_ADMIN_ERROR", `${what}: ${(error as Error).message}`, { sqlState }, error);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createPgAuthAdmin(db: Kysely<any>): AuthAdmin {
  return {
    deleteUser: (id) =>
      guarded("deleting a user", async () => {
        const uid = parseUserId(id);
        if (!(await deleteAuthUser(db, uid))) throw notFound("the user", { id: uid });
      }),

    setBanned: (id, banned) =>
      guarded(banned ? "banning a user" : "unbanning a user", async () => {
        const uid = parseUserId(id);
        if (!(await setBannedFor(db, uid, banned ? BAN_FOREVER_SECONDS : null)))
          throw notFound("the user", { id: uid });
      }),

    getUser: (id) =>
      guarded("reading a user", async () => {
        const row = await readAuthUser(db, parseUserId(id));
        return row === null ? null : toAuthUser(row);
      }),

    listUsers: (options = {}) =>
      guarded("listing users", async () => {
        const { page, perPage } = parseListUsersOptions(options);
        const { rows, total } = await listAuthUsers(db, page, perPage);
        return { users: rows.map(toAuthUser), total };
      }),
  };
}
