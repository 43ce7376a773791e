import { sql, type Kysely, type Transaction } from "kysely";

/**
 * Reading and changing auth.users directly, as GoTrue itself does, for the places where no GoTrue runs
 * (tests, `synth api` before the local platform). Statements run as supabase_auth_admin, the role GoTrue
 * connects as on Supabase, so a cascade or trigger that needs more rights fails here exactly as it would
 * there instead of passing under a superuser.
 */

// Any kysely database: auth.users is not part of the app's typed schema (it belongs to Supabase Auth).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTx = Transaction<any>;

export interface AuthUserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Date | null;
  phone_confirmed_at: Date | null;
  invited_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
}

const COLUMNS = sql.raw(
  [
    "id",
    "aud",
    "role",
    "email",
    "phone",
    "email_confirmed_at",
    "phone_confirmed_at",
    "invited_at",
    "last_sign_in_at",
    "raw_app_meta_data",
    "raw_user_meta_data",
    "created_at",
    "updated_at",
    "banned_until",
    "deleted_at",
    "is_anonymous",
  ].join(", "),
);

export async function asAuthAdmin<T>(db: AnyDb, fn: (tx: AnyTx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`set local role supabase_auth_admin`.execute(tx);
    return fn(tx);
  });
}

export async function readAuthUser(db: AnyDb, id: string): Promise<AuthUserRow | null> {
  return asAuthAdmin(db, async (tx) => {
    const { rows } = await sql<AuthUserRow>`select ${COLUMNS} from auth.users where id = ${id}`.execute(tx);
    return rows[0] ?? null;
  });
}

/** Newest first, ties broken by id so that pages never overlap. */
export async function listAuthUsers(
  db: AnyDb,
  page: number,
  perPage: number,
): Promise<{ rows: AuthUserRow[]; total: number }> {
  return asAuthAdmin(db, async (tx) => {
    const { rows } = await sql<AuthUserRow>`
      select ${COLUMNS} from auth.users
       order by created_at desc nulls last, id
       limit ${perPage} offset ${(page - 1) * perPage}`.execute(tx);
    const count = await sql<{ total: string }>`select count(*) as total from auth.users`.execute(tx);
    return { rows, total: Number(count.rows[0].total) };
  });
}

/** GoTrue's ban: banned_until = now + duration, or null for ban_duration "none". False when no such user. */
export async function setBannedFor(db: AnyDb, id: string, seconds: number | null): Promise<boolean> {
  return asAuthAdmin(db, async (tx) => {
    const { rows } = await sql<{ id: string }>`
      update auth.users
         set banned_until = case when ${seconds}::bigint is null then null
                                 else now() + make_interval(secs => ${seconds}::bigint) end,
             updated_at = now()
       where id = ${id}
      returning id`.execute(tx);
    return rows.length === 1;
  });
}

/** GoTrue's hard delete. False when no such user. */
export async function deleteAuthUser(db: AnyDb, id: string): Promise<boolean> {
  return asAuthAdmin(db, async (tx) => {
    const { rows } = await sql<{ id: string }>`delete from auth.users where id = ${id} returning id`.execute(
      tx,
    );
    return rows.length === 1;
  });
}
