import { timestampMs } from "./timestamp.ts";
import { z } from "zod";
import { validationError } from "../errors.ts";

/**
 * The Supabase Auth admin port: what the platform needs to erase and disable accounts. Adapters are
 * Supabase Auth's HTTP admin API (`auth-admin-gotrue.ts`, hosted projects and any GoTrue) and, where no
 * GoTrue runs, direct SQL on auth.users (`local/auth/pg-auth-admin.ts`). Both pass tests/auth's contract.
 *
 * Errors: NOT_FOUND for an unknown user, FORBIDDEN when the credentials lack admin rights,
 * VALIDATION_ERROR for an id that is not a uuid, AUTH_ADMIN_ERROR for anything else.
 */

export interface AuthUser {
  id: string;
  email: string | null;
  /** ISO-8601 as stored; a past instant means the ban is over (see isBanned). */
  bannedUntil: string | null;
  appMetadata: Record<string, unknown>;
}

export interface AuthUserPage {
  users: AuthUser[];
  /** All users, across pages. */
  total: number;
}

export const listUsersOptionsSchema = z.object({
  page: z.number().int().min(1).default(1),
  perPage: z.number().int().min(1).max(1000).default(50),
});
export type ListUsersOptions = z.input<typeof listUsersOptionsSchema>;

export function parseListUsersOptions(options: unknown = {}): z.output<typeof listUsersOptionsSchema> {
  const parsed = listUsersOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw validationError("page must be 1 or more and perPage between 1 and 1000", {
      issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    });
  }
  return parsed.data;
}

export interface AuthAdmin {
  /** Hard delete: the auth.users row goes and every row referencing it cascades. */
  deleteUser(id: string): Promise<void>;
  /** Banning sets banned_until a century ahead (ban_duration BAN_FOREVER); unbanning clears it. */
  setBanned(id: string, banned: boolean): Promise<void>;
  getUser(id: string): Promise<AuthUser | null>;
  /** Newest first, as GoTrue lists them. */
  listUsers(options?: ListUsersOptions): Promise<AuthUserPage>;
}

/** GoTrue has no "forever": Supabase Studio bans for 100 years, as a Go duration. */
export const BAN_FOREVER = "876000h";
export const UNBAN = "none";
export const BAN_FOREVER_SECONDS = 876_000 * 3600;

const userIdSchema = z.string().uuid();

/** The id as a uuid, or VALIDATION_ERROR before anything is sent anywhere. */
export function parseUserId(id: unknown): string {
  const parsed = userIdSchema.safeParse(id);
  if (!parsed.success) throw validationError("a user id must be a uuid", { id: String(id) });
  return parsed.data.toLowerCase();
}

export function isBanned(user: Pick<AuthUser, "bannedUntil">, now: Date = new Date()): boolean {
  return user.bannedUntil !== null && timestampMs(user.bannedUntil) > now.getTime();
}
