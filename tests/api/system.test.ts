import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, mintToken, type Harness } from "./harness.ts";
import { runMatrix } from "./matrix.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

describe("GET /health", () => {
  it("answers the envelope with the database reachable and the security headers", async () => {
    const res = await h.call("/health");
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(res.body.data).toMatchObject({ status: "ok", database: { reachable: true } });
    expect(Date.parse(res.body.timestamp)).not.toBeNaN();
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps a well-formed incoming request id and replaces a hostile one", async () => {
    expect(
      (await h.call("/health", { headers: { "x-request-id": "trace-0123456789" } })).headers.get(
        "x-request-id",
      ),
    ).toBe("trace-0123456789");
    const hostile = await h.call("/health", { headers: { "x-request-id": "<script>alert(1)</script>" } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("GET /auth/me", () => {
  it("answers the caller with the role from app_metadata, never from user_metadata", async () => {
    const user = await h.user({ userMetadata: { role: "admin" } });
    const res = await h.call("/auth/me", { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      id: user.id,
      email: user.email,
      role: "user",
      profile: { id: user.id },
    });
    const admin = await h.user({ admin: true });
    expect((await h.call("/auth/me", { token: admin.token })).body.data).toMatchObject({ role: "admin" });
  });

  it("refuses a missing, malformed, expired or foreign-signed token with 401 and a code", async () => {
    const user = await h.user();
    const none = await h.call("/auth/me");
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false, error: { code: "UNAUTHORIZED" } });
    expect((await h.call("/auth/me", { headers: { authorization: "Basic abc" } })).body.error?.code).toBe(
      "INVALID_TOKEN",
    );
    const foreign = await mintToken(user, { secret: "another-secret-another-secret-another-secret" });
    expect((await h.call("/auth/me", { token: foreign })).status).toBe(401);
    const expired = await mintToken(user, { expiresIn: "-1h" });
    expect((await h.call("/auth/me", { token: expired })).status).toBe(401);
  });

  it("tells a disabled user so with 403 ACCOUNT_DISABLED", async () => {
    const user = await h.user();
    await h.su`update auth.users set banned_until = now() + interval '1 day' where id = ${user.id}`;
    const res = await h.call("/auth/me", { token: user.token });
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe("ACCOUNT_DISABLED");
  });
});

describe("errors and logs", () => {
  it("answers an unknown path with the envelope's 404 and writes one request-log row per request", async () => {
    const res = await h.call("/no/such/thing");
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe("NOT_FOUND");
    const user = await h.user();
    const me = await h.call("/auth/me", { token: user.token });
    await h.deps.requestLog.flush();
    const rows =
      await h.su`select route, status, user_id, method from public.api_request_logs where request_id = ${me.headers.get("x-request-id")}`;
    expect(rows).toEqual([{ route: "/api/auth/me", status: 200, user_id: user.id, method: "GET" }]);
    const line = h.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.request_id === me.headers.get("x-request-id"));
    expect(line).toMatchObject({ level: "info", route: "/api/auth/me", status: 200, user_id: user.id });
  });
});

describe("Hono's own refusals", () => {
  it("answers a validated JSON route sent another Content-Type with 415 and the envelope", async () => {
    const user = await h.user();
    const res = await h.call("/upload/register", {
      method: "POST",
      token: user.token,
      headers: { "content-type": "text/plain" },
      body: "path=x",
    });
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers malformed JSON with 400 VALIDATION_ERROR", async () => {
    const user = await h.user();
    const res = await h.call("/upload/register", {
      method: "POST",
      token: user.token,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("VALIDATION_ERROR");
  });
});

describe("GET /docs", () => {
  it("serves the interactive reference and its assets itself, under a CSP that allows only them", async () => {
    const page = await h.call("/docs");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain('data-openapi-url="openapi.json"');
    expect(page.text).not.toMatch(/https?:\/\//);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("*");
    for (const asset of ["swagger-ui.css", "swagger-ui-bundle.js", "docs-init.js"]) {
      const res = await h.call(`/docs/${asset}`);
      expect(res.status, asset).toBe(200);
      expect(res.text.length, asset).toBeGreaterThan(100);
    }
    expect((await h.call("/docs/nope.js")).status).toBe(404);
    const doc = JSON.parse((await h.call("/openapi.json")).text) as { servers: { url: string }[] };
    expect(doc.servers).toEqual([{ url: "/functions/v1" }]);
  });
});

describe("GET /auth/me authorisation", () => {
  it("anon 401, every signed-in caller sees only themselves, disabled 403", async () => {
    await runMatrix(h, {
      arrange: async (_h, owner) => owner,
      act: (_h, caller) => h.call("/auth/me", { token: caller?.token ?? null }),
      expect: { anon: 401, owner: 200, other: 200, disabled: 403, admin: 200 },
      check: (res, who, owner) => {
        const me = res.body.data as { id: string; role: string };
        if (who === "owner") expect(me.id).toBe(owner.id);
        else expect(me.id).not.toBe(owner.id);
        expect(me.role).toBe(who === "admin" ? "admin" : "user");
      },
    });
  });
});
