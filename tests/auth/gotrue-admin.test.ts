import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthError, type SynthError } from "../../shared/errors.ts";
import { createGoTrueAdmin } from "../../shared/platform/auth-admin-gotrue.ts";
import { mintApiKey } from "../../shared/platform/jwt-mint.ts";
import { createUser, openDb, type DbFixture } from "../db/fixtures.ts";
import { authAdminContract } from "./auth-admin-contract.ts";
import { startLocalAuthServer, type LocalAuthServer } from "./local-auth-server.ts";

const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

async function failure(promise: Promise<unknown>): Promise<SynthError> {
  try {
    await promise;
  } catch (error) {
    if (isSynthError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

authAdminContract("Supabase Auth HTTP admin API against the local Auth stand-in", async (fx) => {
  const server = await startLocalAuthServer({ db: fx.db, jwtSecret: SECRET });
  const admin = createGoTrueAdmin({
    url: server.url,
    serviceRoleKey: server.serviceRoleKey,
  });
  return { admin, close: () => server.close() };
});

describe("the HTTP adapter on the wire", () => {
  let fx: DbFixture;
  let server: LocalAuthServer;
  let legacy: LocalAuthServer;
  let serviceKey: string;
  let anonKey: string;

  beforeAll(async () => {
    fx = openDb();
    server = await startLocalAuthServer({ db: fx.db, jwtSecret: SECRET });
    legacy = await startLocalAuthServer({
      db: fx.db,
      jwtSecret: SECRET,
      legacyClient: true,
      keys: { anonKey: server.anonKey, serviceRoleKey: server.serviceRoleKey },
    });
    serviceKey = server.serviceRoleKey;
    anonKey = server.anonKey;
  });
  afterAll(async () => {
    await server?.close();
    await legacy?.close();
    await fx?.close();
  });

  it("sends what auth-js's admin API sends", async () => {
    const user = await createUser(fx.su);
    // A trailing slash on SUPABASE_URL is common in configuration.
    const admin = createGoTrueAdmin({ url: `${server.url}/`, serviceRoleKey: serviceKey });
    server.requests.length = 0;
    await admin.setBanned(user.id, true);
    await admin.setBanned(user.id, false);
    await admin.getUser(user.id);
    await admin.listUsers();
    await admin.deleteUser(user.id);
    expect(server.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ["PUT", `/auth/v1/admin/users/${user.id}`, '{"ban_duration":"876000h"}'],
      ["PUT", `/auth/v1/admin/users/${user.id}`, '{"ban_duration":"none"}'],
      ["GET", `/auth/v1/admin/users/${user.id}`, ""],
      ["GET", "/auth/v1/admin/users?page=1&per_page=50", ""],
      ["DELETE", `/auth/v1/admin/users/${user.id}`, '{"should_soft_delete":false}'],
    ]);
    for (const request of server.requests) {
      expect(request.headers).toMatchObject({
        apikey: serviceKey,
        authorization: `Bearer ${serviceKey}`,
        "x-supabase-api-version": "2024-01-01",
      });
    }
  });

  for (const shape of ["current", "legacy"] as const) {
    it(`maps GoTrue's errors (${shape} shape) to NOT_FOUND and FORBIDDEN`, async () => {
      const url = shape === "current" ? server.url : legacy.url;
      const admin = createGoTrueAdmin({ url, serviceRoleKey: serviceKey });
      const missing = randomUUID();
      const notFound = await failure(admin.setBanned(missing, true));
      expect(notFound).toMatchObject({
        code: "NOT_FOUND",
        details: { status: 404, authCode: "user_not_found" },
      });
      expect(await admin.getUser(missing)).toBeNull();
      expect((await failure(admin.deleteUser(missing))).code).toBe("NOT_FOUND");

      // The anon key passes the gateway but is not an admin role for GoTrue.
      const user = await createUser(fx.su);
      const asAnon = createGoTrueAdmin({ url, serviceRoleKey: anonKey });
      for (const call of [
        () => asAnon.getUser(user.id),
        () => asAnon.setBanned(user.id, true),
        () => asAnon.deleteUser(user.id),
        () => asAnon.listUsers(),
      ]) {
        const error = await failure(call());
        expect(error).toMatchObject({ code: "FORBIDDEN", details: { status: 403, authCode: "not_admin" } });
        expect(error.message).toMatch(/User not allowed/);
      }
      expect(await fx.su`select banned_until from auth.users where id = ${user.id}`).toEqual([
        { banned_until: null },
      ]);
    });
  }

  it("maps the gateway's refusal of a foreign key to FORBIDDEN", async () => {
    const foreignKey = await mintApiKey("some-other-projects-secret-of-32-characters!", "service_role");
    const admin = createGoTrueAdmin({ url: server.url, serviceRoleKey: foreignKey });
    const error = await failure(admin.getUser(randomUUID()));
    expect(error).toMatchObject({ code: "FORBIDDEN", details: { status: 401 } });
    expect(error.message).toMatch(/Invalid authentication credentials/);
  });

  it("reports GoTrue's own failures, unreadable answers and an unreachable server as AUTH_ADMIN_ERROR", async () => {
    const broken = new Hono();
    broken.delete("/auth/v1/admin/users/:id", (c) =>
      c.json({ code: "unexpected_failure", message: "Database error deleting user" }, 500),
    );
    broken.put("/auth/v1/admin/users/:id", (c) => c.html("<html>502 Bad Gateway</html>", 502));
    broken.get("/auth/v1/admin/users/:id", (c) => c.json({ id: "not-a-uuid" }));
    broken.get("/auth/v1/admin/users", (c) => c.json({ users: [], aud: "authenticated" }));
    const admin = createGoTrueAdmin({
      url: "http://gotrue.invalid",
      serviceRoleKey: serviceKey,
      fetch: async (url, init) => broken.fetch(new Request(url, init)),
    });
    const id = randomUUID();
    expect(await failure(admin.deleteUser(id))).toMatchObject({
      code: "AUTH_ADMIN_ERROR",
      details: { status: 500, authCode: "unexpected_failure" },
      message: expect.stringMatching(/Database error deleting user/),
    });
    expect(await failure(admin.setBanned(id, true))).toMatchObject({
      code: "AUTH_ADMIN_ERROR",
      details: { status: 502 },
    });
    expect((await failure(admin.getUser(id))).code).toBe("AUTH_ADMIN_ERROR");
    expect(await failure(admin.listUsers())).toMatchObject({
      code: "AUTH_ADMIN_ERROR",
      message: expect.stringMatching(/X-Total-Count/),
    });

    const closed = await startLocalAuthServer({ db: fx.db, jwtSecret: SECRET });
    await closed.close();
    const unreachable = createGoTrueAdmin({ url: closed.url, serviceRoleKey: serviceKey, timeoutMs: 2000 });
    expect((await failure(unreachable.getUser(id))).code).toBe("AUTH_ADMIN_ERROR");
  });
});
