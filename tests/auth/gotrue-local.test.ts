import { randomBytes, randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { Clock } from "../../shared/platform/clock.ts";
import { createJwtVerifier } from "../../shared/platform/jwt.ts";
import { openDb, type DbFixture } from "../db/fixtures.ts";
import { startLocalAuthServer, type LocalAuthServer } from "./local-auth-server.ts";

/**
 * The local Auth stand-in driven by the unmodified supabase-js client (reference/supabase-protocols.md 1),
 * over a real socket, against the real PostgreSQL. Effects are checked in auth.* rows, not only in what the
 * server answers.
 */

const SECRET = "local-auth-test-secret-" + randomBytes(16).toString("hex");

/** Wall time plus an offset the tests move forward, so refresh-token reuse windows can pass. */
class ShiftedClock implements Clock {
  offsetMs = 0;
  now = () => new Date(Date.now() + this.offsetMs);
  monotonicMs = () => performance.now() + this.offsetMs;
}

let fx: DbFixture;
let server: LocalAuthServer;
const clock = new ShiftedClock();

function client(key = server.anonKey): SupabaseClient {
  return createClient(server.url, key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  });
}

const newEmail = () => `u-${randomUUID().slice(0, 12)}@example.test`;
const newPassword = () => `pw-${randomBytes(9).toString("base64url")}`;

async function signUp(meta: Record<string, unknown> = {}) {
  const email = newEmail();
  const password = newPassword();
  const c = client();
  const { data, error } = await c.auth.signUp({ email, password, options: { data: meta } });
  expect(error).toBeNull();
  return { c, email, password, session: data.session!, user: data.user! };
}

async function signIn(email: string, password: string) {
  const c = client();
  const { data, error } = await c.auth.signInWithPassword({ email, password });
  return { c, data, error };
}

async function liveTokens(sessionId: string): Promise<number> {
  const [{ n }] = await fx.su<{ n: string }[]>`
    select count(*) as n from auth.refresh_tokens where session_id = ${sessionId} and revoked = false`;
  return Number(n);
}

const sessionIdOf = (accessToken: string): string =>
  JSON.parse(Buffer.from(accessToken.split(".")[1], "base64url").toString()).session_id as string;

beforeAll(async () => {
  fx = openDb();
  server = await startLocalAuthServer({ db: fx.db, jwtSecret: SECRET, clock });
});
afterAll(async () => {
  await server?.close();
  await fx?.close();
});

describe("sign-up and sign-in", () => {
  it("signs up with auto-confirm and returns a session whose access token has GoTrue's claims", async () => {
    const { session, user, email } = await signUp({ display_name: "Ada" });
    expect(session).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    expect(session.refresh_token.length).toBeGreaterThanOrEqual(20);
    expect(user).toMatchObject({
      email,
      aud: "authenticated",
      role: "authenticated",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { display_name: "Ada" },
    });
    expect(user.email_confirmed_at).toBeTruthy();

    expect(decodeProtectedHeader(session.access_token)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(session.access_token, new TextEncoder().encode(SECRET));
    expect(Object.keys(payload).sort()).toEqual(
      [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "email",
        "phone",
        "app_metadata",
        "user_metadata",
        "role",
        "aal",
        "amr",
        "session_id",
        "is_anonymous",
      ].sort(),
    );
    expect(payload).toMatchObject({
      iss: `${server.url}/auth/v1`,
      sub: user.id,
      aud: "authenticated",
      email,
      phone: "",
      role: "authenticated",
      aal: "aal1",
      is_anonymous: false,
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: { display_name: "Ada" },
    });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(session.expires_at).toBe(payload.exp);
    expect(payload.amr).toEqual([{ method: "password", timestamp: payload.iat }]);
    const [row] = await fx.su`select user_id from auth.sessions where id = ${payload.session_id as string}`;
    expect(row).toEqual({ user_id: user.id });

    // The platform's own verifier accepts it.
    const verified = await createJwtVerifier({ secret: SECRET, issuer: `${server.url}/auth/v1` }).verify(
      session.access_token,
    );
    expect(verified).toMatchObject({ id: user.id, role: "user", sessionId: payload.session_id });
  });

  it("refuses a second sign-up with the same email (any case) as user_already_exists", async () => {
    const { email } = await signUp();
    const { data, error } = await client().auth.signUp({
      email: email.toUpperCase(),
      password: newPassword(),
    });
    expect(error).toMatchObject({
      status: 422,
      code: "user_already_exists",
      message: "User already registered",
    });
    expect(data.session).toBeNull();
    const [{ n }] = await fx.su<
      { n: string }[]
    >`select count(*) as n from auth.users where lower(email) = ${email}`;
    expect(Number(n)).toBe(1);
  });

  it("refuses weak passwords and malformed emails", async () => {
    const weak = await client().auth.signUp({ email: newEmail(), password: "12345" });
    expect(weak.error).toMatchObject({ status: 422, code: "weak_password" });
    expect(weak.error!.name).toBe("AuthWeakPasswordError");
    const bad = await client().auth.signUp({ email: "not-an-email", password: newPassword() });
    expect(bad.error).toMatchObject({ status: 400, code: "validation_failed" });
  });

  it("signs in with the right password only", async () => {
    const { email, password, user } = await signUp();
    const good = await signIn(email, password);
    expect(good.error).toBeNull();
    expect(good.data.user!.id).toBe(user.id);
    expect(good.data.user!.last_sign_in_at).toBeTruthy();
    for (const [e, p] of [
      [email, `${password}x`],
      [newEmail(), password],
    ]) {
      const bad = await signIn(e, p);
      expect(bad.error).toMatchObject({
        status: 400,
        code: "invalid_credentials",
        message: "Invalid login credentials",
      });
      expect(bad.data.session).toBeNull();
    }
  });

  it("never stores a password in plain text", async () => {
    const { user, password } = await signUp();
    const [row] = await fx.su<{ encrypted_password: string; whole: string }[]>`
      select encrypted_password, row_to_json(u)::text as whole from auth.users u where id = ${user.id}`;
    expect(row.encrypted_password).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(row.whole).not.toContain(password);
    const leaks = await fx.su`
      select 1 from auth.sessions s where row_to_json(s)::text like ${"%" + password + "%"}
      union all select 1 from auth.refresh_tokens t where row_to_json(t)::text like ${"%" + password + "%"}`;
    expect(leaks).toHaveLength(0);
    // Two users with the same password get different hashes (salted).
    const other = await client().auth.signUp({ email: newEmail(), password });
    const [a, b] = await fx.su<{ encrypted_password: string }[]>`
      select encrypted_password from auth.users where id in (${user.id}, ${other.data.user!.id})`;
    expect(a.encrypted_password).not.toBe(b.encrypted_password);
  });
});

describe("refresh tokens", () => {
  it("rotates: each refresh returns a new token, and the session's live token is always the newest", async () => {
    const { c, session } = await signUp();
    const sid = sessionIdOf(session.access_token);
    const first = await c.auth.refreshSession();
    expect(first.error).toBeNull();
    const t1 = first.data.session!.refresh_token;
    expect(t1).not.toBe(session.refresh_token);
    expect(sessionIdOf(first.data.session!.access_token)).toBe(sid);
    expect(await liveTokens(sid)).toBe(1);
    const rows = await fx.su<{ token: string; parent: string | null; revoked: boolean }[]>`
      select token, parent, revoked from auth.refresh_tokens where session_id = ${sid} order by id`;
    expect(rows).toEqual([
      { token: session.refresh_token, parent: null, revoked: true },
      { token: t1, parent: session.refresh_token, revoked: false },
    ]);

    // The client lost the answer and retries with the parent: GoTrue hands back the live token, no new one.
    const retry = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(retry.error).toBeNull();
    expect(retry.data.session!.refresh_token).toBe(t1);
  });

  it("detects reuse beyond the reuse interval and revokes the whole session's tokens", async () => {
    const { session } = await signUp();
    const sid = sessionIdOf(session.access_token);
    const t0 = session.refresh_token;
    const t1 = (await client().auth.refreshSession({ refresh_token: t0 })).data.session!.refresh_token;
    const t2 = (await client().auth.refreshSession({ refresh_token: t1 })).data.session!.refresh_token;

    clock.offsetMs += 11_000;
    const reuse = await client().auth.refreshSession({ refresh_token: t0 });
    expect(reuse.error).toMatchObject({
      status: 400,
      code: "refresh_token_already_used",
      message: "Invalid Refresh Token: Already Used",
    });
    // Committed despite the error.
    expect(await liveTokens(sid)).toBe(0);

    // As in GoTrue, the revocation stamps updated_at, so the interval applies anew to the family's tokens.
    clock.offsetMs += 11_000;
    const legit = await client().auth.refreshSession({ refresh_token: t2 });
    expect(legit.error).toMatchObject({ status: 400, code: "refresh_token_already_used" });
    expect(await liveTokens(sid)).toBe(0);
  });

  it("lets a revoked non-parent token through within the interval (concurrent tabs), as GoTrue does", async () => {
    const { session } = await signUp();
    const t0 = session.refresh_token;
    const t1 = (await client().auth.refreshSession({ refresh_token: t0 })).data.session!.refresh_token;
    await client().auth.refreshSession({ refresh_token: t1 });
    const again = await client().auth.refreshSession({ refresh_token: t0 });
    expect(again.error).toBeNull();
  });

  it("serialises concurrent refreshes of one token: one rotation, every caller gets the live token", async () => {
    const { session } = await signUp();
    const sid = sessionIdOf(session.access_token);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => client().auth.refreshSession({ refresh_token: session.refresh_token })),
    );
    for (const r of results) expect(r.error).toBeNull();
    const issued = new Set(results.map((r) => r.data.session!.refresh_token));
    expect(issued.size).toBe(1);
    expect(await liveTokens(sid)).toBe(1);
    const [{ n }] = await fx.su<{ n: string }[]>`
      select count(*) as n from auth.refresh_tokens where session_id = ${sid}`;
    expect(Number(n)).toBe(2);
  });

  it("keeps sessions and refresh tokens out of the API roles' reach", async () => {
    for (const role of ["anon", "authenticated"]) {
      for (const table of ["auth.sessions", "auth.refresh_tokens"]) {
        await expect(
          fx.su.begin(async (tx) => {
            await tx.unsafe(`set local role ${role}`);
            return tx.unsafe(`select * from ${table} limit 1`);
          }),
        ).rejects.toMatchObject({ code: "42501" });
      }
    }
  });

  it("answers refresh_token_not_found for an unknown token", async () => {
    const { error } = await client().auth.refreshSession({ refresh_token: "no-such-token-at-all" });
    expect(error).toMatchObject({ status: 400, code: "refresh_token_not_found" });
  });
});

describe("the user's own account", () => {
  it("getUser answers the user for a valid token and refuses a forged one", async () => {
    const { c, user } = await signUp();
    const { data, error } = await c.auth.getUser();
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ id: user.id, email: user.email });
    const forged = await client().auth.getUser("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
    expect(forged.error).toMatchObject({ status: 403, code: "bad_jwt" });
  });

  it("updateUser merges metadata and changes the password (the old one stops working)", async () => {
    const { c, email, password, user } = await signUp({ a: 1, b: 2 });
    const other = await signIn(email, password);
    const meta = await c.auth.updateUser({ data: { b: null, c: "three" } });
    expect(meta.error).toBeNull();
    expect(meta.data.user!.user_metadata).toEqual({ a: 1, c: "three" });
    const [row] = await fx.su`select raw_user_meta_data from auth.users where id = ${user.id}`;
    expect(row).toEqual({ raw_user_meta_data: { a: 1, c: "three" } });

    const same = await c.auth.updateUser({ password });
    expect(same.error).toMatchObject({ status: 422, code: "same_password" });

    const next = newPassword();
    const changed = await c.auth.updateUser({ password: next });
    expect(changed.error).toBeNull();
    expect((await signIn(email, password)).error).toMatchObject({ code: "invalid_credentials" });
    expect((await signIn(email, next)).error).toBeNull();
    // A new password signs out the other sessions, and keeps this one.
    const stale = await client().auth.refreshSession({ refresh_token: other.data.session!.refresh_token });
    expect(stale.error).toMatchObject({ status: 400 });
    expect((await c.auth.getUser()).error).toBeNull();
  });

  it("updateUser changes the email, refusing one another user has", async () => {
    const { c, user } = await signUp();
    const taken = await signUp();
    expect((await c.auth.updateUser({ email: taken.email })).error).toMatchObject({
      status: 422,
      code: "email_exists",
    });
    const fresh = newEmail();
    const { data, error } = await c.auth.updateUser({ email: fresh });
    expect(error).toBeNull();
    expect(data.user!.email).toBe(fresh);
    const [row] = await fx.su`select email from auth.users where id = ${user.id}`;
    expect(row).toEqual({ email: fresh });
  });
});

describe("sign-out scopes", () => {
  it("local ends this session only, others all but this one, global every one", async () => {
    const { email, password, c: c1, session: s1 } = await signUp();
    const { c: c2, data: d2 } = await signIn(email, password);
    const { data: d3 } = await signIn(email, password);
    const { data: d4 } = await signIn(email, password);
    const [sid1, sid2, sid3, sid4] = [s1, d2.session!, d3.session!, d4.session!].map((s) =>
      sessionIdOf(s.access_token),
    );
    const exists = async (sid: string) =>
      (await fx.su`select 1 from auth.sessions where id = ${sid}`).length === 1;

    expect((await c1.auth.signOut({ scope: "local" })).error).toBeNull();
    expect(await Promise.all([sid1, sid2, sid3, sid4].map(exists))).toEqual([false, true, true, true]);
    const revoked = await client().auth.refreshSession({ refresh_token: s1.refresh_token });
    expect(revoked.error).toMatchObject({ status: 400 });
    // auth-js turns session_not_found into AuthSessionMissingError; the wire answer is GoTrue's 403.
    expect((await client().auth.getUser(s1.access_token)).error!.name).toBe("AuthSessionMissingError");
    const wire = await fetch(`${server.url}/auth/v1/user`, {
      headers: {
        apikey: server.anonKey,
        authorization: `Bearer ${s1.access_token}`,
        "x-supabase-api-version": "2024-01-01",
      },
    });
    expect(wire.status).toBe(403);
    expect(await wire.json()).toMatchObject({ code: "session_not_found" });

    expect((await c2.auth.signOut({ scope: "others" })).error).toBeNull();
    expect(await Promise.all([sid2, sid3, sid4].map(exists))).toEqual([true, false, false]);

    const c4 = client();
    await c4.auth.setSession({
      access_token: d2.session!.access_token,
      refresh_token: d2.session!.refresh_token,
    });
    expect((await c4.auth.signOut({ scope: "global" })).error).toBeNull();
    expect(await exists(sid2)).toBe(false);
  });

  it("refuses an unknown scope", async () => {
    const { session } = await signUp();
    const res = await fetch(`${server.url}/auth/v1/logout?scope=everything`, {
      method: "POST",
      headers: {
        apikey: server.anonKey,
        authorization: `Bearer ${session.access_token}`,
        "x-supabase-api-version": "2024-01-01",
      },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "validation_failed" });
  });
});

describe("admin", () => {
  it("creates, lists with pagination headers, gets, updates, bans and deletes users", async () => {
    const admin = client(server.serviceRoleKey).auth.admin;
    const email = newEmail();
    const password = newPassword();
    const created = await admin.createUser({ email, password, email_confirm: true, user_metadata: { n: 1 } });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    expect(created.data.user).toMatchObject({
      email,
      user_metadata: { n: 1 },
      app_metadata: { provider: "email", providers: ["email"] },
    });
    expect((await admin.createUser({ email, password })).error).toMatchObject({
      status: 422,
      code: "email_exists",
    });

    // Pagination: X-Total-Count and Link, as auth-js parses them (it reads only the first digit of a page
    // number, so pages are sized to keep the last page below 10). Other test files add users meanwhile.
    const [{ n }] = await fx.su<{ n: string }[]>`select count(*) as n from auth.users`;
    const perPage = Math.max(2, Math.ceil(Number(n) / 3));
    const listed = await admin.listUsers({ page: 1, perPage });
    expect(listed.error).toBeNull();
    expect(listed.data.users).toHaveLength(perPage);
    if (!("total" in listed.data)) throw new Error("listUsers answered without pagination");
    const total = listed.data.total;
    expect(total).toBeGreaterThanOrEqual(Number(n));
    expect(listed.data).toMatchObject({ nextPage: 2, lastPage: Math.ceil(total / perPage) });
    const raw = await fetch(`${server.url}/auth/v1/admin/users?page=2&per_page=${perPage}`, {
      headers: { apikey: server.serviceRoleKey, authorization: `Bearer ${server.serviceRoleKey}` },
    });
    const rawTotal = Number(raw.headers.get("x-total-count"));
    expect(rawTotal).toBeGreaterThanOrEqual(total);
    const last = Math.ceil(rawTotal / perPage);
    expect(raw.headers.get("link")).toBe(
      (last > 2 ? `</admin/users?page=3&per_page=${perPage}>; rel="next", ` : "") +
        `</admin/users?page=${last}&per_page=${perPage}>; rel="last"`,
    );
    const beyond = await admin.listUsers({ page: last + 1, perPage });
    expect(beyond.data.users).toEqual([]);

    expect((await admin.getUserById(id)).data.user!.email).toBe(email);

    // app_metadata role admin: the user's next token carries it.
    const { c, data: signedIn } = await signIn(email, password);
    expect(signedIn.session).not.toBeNull();
    const promoted = await admin.updateUserById(id, { app_metadata: { role: "admin" } });
    expect(promoted.data.user!.app_metadata).toEqual({
      provider: "email",
      providers: ["email"],
      role: "admin",
    });
    const refreshed = await c.auth.refreshSession();
    const { payload } = await jwtVerify(
      refreshed.data.session!.access_token,
      new TextEncoder().encode(SECRET),
    );
    expect(payload.app_metadata).toMatchObject({ role: "admin" });

    // Ban: sign-in and refresh refused, the user endpoint too; unban restores sign-in.
    const banned = await admin.updateUserById(id, { ban_duration: "24h" });
    const until = Date.parse(banned.data.user!.banned_until!);
    expect(until - clock.now().getTime()).toBeGreaterThan(23.9 * 3600_000);
    expect((await signIn(email, password)).error).toMatchObject({ status: 400, code: "user_banned" });
    expect((await c.auth.refreshSession()).error).toMatchObject({ status: 400, code: "user_banned" });
    expect((await c.auth.getUser()).error).toMatchObject({ status: 403, code: "user_banned" });
    await admin.updateUserById(id, { ban_duration: "none" });
    expect((await signIn(email, password)).error).toBeNull();
    expect((await admin.updateUserById(id, { ban_duration: "soon" })).error).toMatchObject({
      status: 400,
      code: "validation_failed",
    });

    const deleted = await admin.deleteUser(id);
    expect(deleted.error).toBeNull();
    expect(await fx.su`select 1 from auth.users where id = ${id}`).toHaveLength(0);
    expect(await fx.su`select 1 from auth.refresh_tokens where user_id = ${id}`).toHaveLength(0);
    expect((await admin.getUserById(id)).error).toMatchObject({ status: 404, code: "user_not_found" });
  });

  it("soft-deletes a user: the row stays, sign-in and sessions are gone", async () => {
    const { email, password, user, session } = await signUp();
    const res = await fetch(`${server.url}/auth/v1/admin/users/${user.id}`, {
      method: "DELETE",
      headers: {
        apikey: server.serviceRoleKey,
        authorization: `Bearer ${server.serviceRoleKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ should_soft_delete: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const [row] = await fx.su<{ deleted_at: Date | null; email: string }[]>`
      select deleted_at, email from auth.users where id = ${user.id}`;
    expect(row.deleted_at).not.toBeNull();
    expect(row.email).not.toBe(email);
    expect((await signIn(email, password)).error).toMatchObject({ code: "invalid_credentials" });
    expect(
      (await client().auth.refreshSession({ refresh_token: session.refresh_token })).error,
    ).toMatchObject({ status: 400 });
  });

  it("refuses admin calls with a user's token or the anon key", async () => {
    const { session } = await signUp();
    const asUser = createClient(server.url, server.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
      global: { headers: { Authorization: `Bearer ${session.access_token}` } },
    });
    for (const c of [asUser, client()]) {
      const { error } = await c.auth.admin.listUsers();
      expect(error).toMatchObject({ status: 403, code: "not_admin" });
    }
  });
});

describe("gateway and error shapes", () => {
  it("refuses requests without a project key, as Kong does", async () => {
    for (const path of ["/auth/v1/health", "/auth/v1/settings", "/auth/v1/user", "/auth/v1/admin/users"]) {
      const missing = await fetch(`${server.url}${path}`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({ message: "No API key found in request" });
      const wrong = await fetch(`${server.url}${path}`, { headers: { apikey: "sb_publishable_nope" } });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({ message: "Invalid authentication credentials" });
    }
    const health = await fetch(`${server.url}/auth/v1/health`, { headers: { apikey: server.anonKey } });
    expect(await health.json()).toMatchObject({ name: "GoTrue" });
    const settings = await fetch(`${server.url}/auth/v1/settings?apikey=${server.anonKey}`);
    expect(await settings.json()).toMatchObject({ mailer_autoconfirm: true, external: { email: true } });
  });

  it("answers a browser's preflight without a key, as Kong's cors plugin does", async () => {
    const res = await fetch(`${server.url}/auth/v1/token?grant_type=password`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "apikey,authorization,content-type,x-client-info,x-supabase-api-version",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("apikey");
  });

  it("answers {code, message} with the echoed version header, and the legacy shape otherwise", async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${server.url}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { apikey: server.anonKey, "content-type": "application/json", ...headers },
        body: JSON.stringify({ email: newEmail(), password: "whatever" }),
      });
    const modern = await call({ "x-supabase-api-version": "2024-01-01" });
    expect(modern.status).toBe(400);
    expect(modern.headers.get("x-supabase-api-version")).toBe("2024-01-01");
    expect(modern.headers.get("x-sb-error-code")).toBe("invalid_credentials");
    expect(await modern.json()).toEqual({
      code: "invalid_credentials",
      message: "Invalid login credentials",
    });
    const legacy = await call({});
    expect(legacy.headers.get("x-supabase-api-version")).toBeNull();
    expect(await legacy.json()).toEqual({
      code: 400,
      error_code: "invalid_credentials",
      msg: "Invalid login credentials",
    });
    const grant = await fetch(`${server.url}/auth/v1/token?grant_type=magic`, {
      method: "POST",
      headers: { apikey: server.anonKey, "x-supabase-api-version": "2024-01-01" },
      body: "{}",
    });
    expect(await grant.json()).toEqual({ code: "invalid_credentials", message: "unsupported_grant_type" });
  });
});
