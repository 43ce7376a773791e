import { randomBytes, randomUUID } from "node:crypto";
import { sql, type Transaction } from "kysely";

/**
 * auth.sessions and auth.refresh_tokens as GoTrue keeps them (internal/models/sessions.go, refresh_token.go):
 * one session per sign-in, a chain of refresh tokens in it where each refresh revokes the token used and
 * issues a child whose `parent` is the used token's value.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTx = Transaction<any>;

export interface RefreshTokenRow {
  id: string;
  token: string;
  user_id: string;
  revoked: boolean;
  updated_at: Date;
  parent: string | null;
  session_id: string | null;
  session_exists: boolean;
  session_created_at: Date | null;
}

/** GoTrue's v1 refresh tokens are short random strings; these carry 192 bits. */
const newTokenValue = (): string => randomBytes(24).toString("base64url");

export async function createSession(
  tx: AnyTx,
  userId: string,
  now: Date,
  userAgent: string | null,
): Promise<{ sessionId: string; refreshToken: string }> {
  const sessionId = randomUUID();
  await sql`
    insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent)
    values (${sessionId}, ${userId}, ${now}, ${now}, 'aal1', ${userAgent})`.execute(tx);
  const refreshToken = await insertToken(tx, userId, sessionId, null, now);
  return { sessionId, refreshToken };
}

async function insertToken(
  tx: AnyTx,
  userId: string,
  sessionId: string,
  parent: string | null,
  now: Date,
): Promise<string> {
  const token = newTokenValue();
  await sql`
    insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent,
                                     session_id)
    values ('00000000-0000-0000-0000-000000000000', ${token}, ${userId}, false, ${now}, ${now}, ${parent},
            ${sessionId})`.execute(tx);
  return token;
}

/** The token row locked for the refresh, with whether its session still exists. */
export async function lockRefreshToken(tx: AnyTx, token: string): Promise<RefreshTokenRow | null> {
  const { rows } = await sql<RefreshTokenRow>`
    select t.id::text as id, t.token, t.user_id, coalesce(t.revoked, false) as revoked, t.updated_at, t.parent,
           t.session_id, s.id is not null as session_exists, s.created_at as session_created_at
      from auth.refresh_tokens t left join auth.sessions s on s.id = t.session_id
     where t.token = ${token}
       for update of t`.execute(tx);
  return rows[0] ?? null;
}

/** The last issued, unrevoked token of the session (FindCurrentlyActiveRefreshToken). */
export async function activeToken(
  tx: AnyTx,
  sessionId: string,
): Promise<{ token: string; parent: string | null } | null> {
  const { rows } = await sql<{ token: string; parent: string | null }>`
    select token, parent from auth.refresh_tokens
     where session_id = ${sessionId} and revoked is false
     order by id desc limit 1`.execute(tx);
  return rows[0] ?? null;
}

/** GrantRefreshTokenSwap: the used token is revoked and its child issued. */
export async function swapRefreshToken(tx: AnyTx, used: RefreshTokenRow, now: Date): Promise<string> {
  await sql`update auth.refresh_tokens set revoked = true, updated_at = ${now} where id = ${used.id}::bigint`.execute(
    tx,
  );
  await sql`update auth.sessions set refreshed_at = ${now}::timestamptz at time zone 'UTC', updated_at = ${now}
             where id = ${used.session_id}`.execute(tx);
  return insertToken(tx, used.user_id, used.session_id!, used.token, now);
}

/** RevokeTokenFamily: every live token of the session is revoked; the session row stays. */
export async function revokeTokenFamily(tx: AnyTx, sessionId: string, now: Date): Promise<void> {
  await sql`update auth.refresh_tokens set revoked = true, updated_at = ${now}
             where session_id = ${sessionId} and revoked = false`.execute(tx);
}

export async function sessionExists(tx: AnyTx, sessionId: string): Promise<boolean> {
  const { rows } = await sql`select 1 from auth.sessions where id = ${sessionId}`.execute(tx);
  return rows.length === 1;
}

/** Logout scopes: deleting a session deletes its refresh tokens (on delete cascade). */
export async function deleteSessions(
  tx: AnyTx,
  userId: string,
  scope: "global" | "local" | "others",
  sessionId: string | null,
): Promise<void> {
  if (scope === "global" || sessionId === null) {
    if (scope === "others") return;
    await sql`delete from auth.sessions where user_id = ${userId}`.execute(tx);
  } else if (scope === "local") {
    await sql`delete from auth.sessions where id = ${sessionId}`.execute(tx);
  } else {
    await sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`.execute(tx);
  }
}
