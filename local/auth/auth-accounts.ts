import { sql, type Kysely, type Transaction } from "kysely";
import type { AuthUserRow } from "./auth-users.ts";

/**
 * auth.users as the local Auth stand-in writes it, in the caller's supabase_auth_admin transaction
 * (asAuthAdmin): the columns GoTrue fills for an email/password user.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTx = Transaction<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

export interface AccountRow extends AuthUserRow {
  encrypted_password: string | null;
}

const ACCOUNT_COLUMNS = sql.raw(
  "id, aud, role, email, phone, email_confirmed_at, phone_confirmed_at, invited_at, last_sign_in_at, " +
    "raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until, deleted_at, is_anonymous, " +
    "encrypted_password",
);

export async function accountById(tx: AnyTx, id: string, forUpdate = false): Promise<AccountRow | null> {
  const lock = sql.raw(forUpdate ? "for update" : "");
  const { rows } =
    await sql<AccountRow>`select ${ACCOUNT_COLUMNS} from auth.users where id = ${id} ${lock}`.execute(tx);
  return rows[0] ?? null;
}

/** GoTrue stores emails lower-cased and matches them so; SSO users share the address space separately. */
export async function accountByEmail(tx: AnyTx, email: string): Promise<AccountRow | null> {
  const { rows } = await sql<AccountRow>`
    select ${ACCOUNT_COLUMNS} from auth.users
     where lower(email) = ${email.toLowerCase()} and is_sso_user = false
     order by created_at limit 1`.execute(tx);
  return rows[0] ?? null;
}

export interface NewAccount {
  id: string;
  email: string;
  encryptedPassword: string | null;
  emailConfirmedAt: Date | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  role: string;
  now: Date;
  bannedUntil: Date | null;
}

export async function insertAccount(tx: AnyTx, a: NewAccount): Promise<AccountRow> {
  const { rows } = await sql<AccountRow>`
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                            raw_app_meta_data, raw_user_meta_data, created_at, updated_at, banned_until,
                            is_sso_user, is_anonymous)
    values ('00000000-0000-0000-0000-000000000000', ${a.id}, 'authenticated', ${a.role}, ${a.email},
            ${a.encryptedPassword}, ${a.emailConfirmedAt}, ${a.appMetadata}::jsonb,
            ${a.userMetadata}::jsonb, ${a.now}, ${a.now}, ${a.bannedUntil}, false, false)
    returning ${ACCOUNT_COLUMNS}`.execute(tx);
  return rows[0];
}

export interface AccountChanges {
  email?: string;
  encryptedPassword?: string;
  emailConfirmedAt?: Date | null;
  appMetadata?: Record<string, unknown>;
  userMetadata?: Record<string, unknown>;
  role?: string;
  bannedUntil?: Date | null;
  lastSignInAt?: Date;
  deletedAt?: Date;
}

export async function updateAccount(
  tx: AnyTx,
  id: string,
  changes: AccountChanges,
  now: Date,
): Promise<AccountRow | null> {
  const sets = [sql`updated_at = ${now}`];
  if (changes.email !== undefined) sets.push(sql`email = ${changes.email}`);
  if (changes.encryptedPassword !== undefined)
    sets.push(sql`encrypted_password = ${changes.encryptedPassword}`);
  if (changes.emailConfirmedAt !== undefined)
    sets.push(sql`email_confirmed_at = ${changes.emailConfirmedAt}`);
  if (changes.appMetadata !== undefined) sets.push(sql`raw_app_meta_data = ${changes.appMetadata}::jsonb`);
  if (changes.userMetadata !== undefined) sets.push(sql`raw_user_meta_data = ${changes.userMetadata}::jsonb`);
  if (changes.role !== undefined) sets.push(sql`role = ${changes.role}`);
  if (changes.bannedUntil !== undefined) sets.push(sql`banned_until = ${changes.bannedUntil}`);
  if (changes.deletedAt !== undefined) sets.push(sql`deleted_at = ${changes.deletedAt}`);
  if (changes.lastSignInAt !== undefined) sets.push(sql`last_sign_in_at = ${changes.lastSignInAt}`);
  const { rows } = await sql<AccountRow>`
    update auth.users set ${sql.join(sets)} where id = ${id} returning ${ACCOUNT_COLUMNS}`.execute(tx);
  return rows[0] ?? null;
}

/**
 * GoTrue's UpdateUserMetaData / UpdateAppMetaData: keys are merged into what is there, and a key given as
 * null is removed.
 */
export function mergeMetadata(
  current: Record<string, unknown> | null,
  changes: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
