import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadApiConfig } from "../../functions/config.ts";
import { createHarness, mintToken, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    env: {
      SYNTH_CORS_ORIGINS: "https://app.example.com, https://admin.example.com",
      SYNTH_MAX_BODY_BYTES: "2048",
    },
  });
});
afterAll(async () => h.close());

describe("CORS from configuration", () => {
  it("answers a listed origin's preflight with credentials and the headers supabase-js sends", async () => {
    const res = await h.app.request("/api/generation/start", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, apikey, content-type, x-client-info",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-headers")).toContain("x-client-info");
  });

  it("gives any other origin no CORS headers at all", async () => {
    const res = await h.app.request("/api/health", { headers: { origin: "https://evil.example.net" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("refuses '*' in the configuration, since the API takes credentials", () => {
    expect(() =>
      loadApiConfig({
        SUPABASE_URL: "http://127.0.0.1:54321",
        SUPABASE_ANON_KEY: "a",
        SUPABASE_SERVICE_ROLE_KEY: "s",
        SUPABASE_DB_URL: "postgres://x",
        SYNTH_CORS_ORIGINS: "*",
      }),
    ).toThrow(/SYNTH_CORS_ORIGINS/);
  });
});

describe("body size", () => {
  it("refuses a declared Content-Length over the limit with 413 before reading the body", async () => {
    const user = await h.user();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        if (pulled > 1000) controller.close();
      },
    });
    const res = await h.app.request("/api/generation/start", {
      method: "POST",
      headers: {
        authorization: `Bearer ${user.token}`,
        "content-type": "application/json",
        "content-length": "10000000",
      },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    const json = (await res.json()) as { error: { code: string; details: { limitBytes: number } } };
    expect(json.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", details: { limitBytes: 2048 } });
    expect(pulled).toBeLessThan(5);
  });

  it("cuts off a chunked body with no length once it passes the limit", async () => {
    const user = await h.user();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        if (pulled > 1000) controller.close();
      },
    });
    const res = await h.app.request("/api/generation/start", {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(50);
  });
});

describe("tokens", () => {
  it("refuses a token for another audience and one signed with alg none", async () => {
    const user = await h.user();
    const good = await mintToken(user);
    const [header, payload] = good.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const other = Buffer.from(JSON.stringify({ ...claims, aud: "another-app" })).toString("base64url");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    for (const token of [`${header}.${other}.${good.split(".")[2]}`, none]) {
      const res = await h.call("/auth/me", { token });
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe("INVALID_TOKEN");
      expect(res.headers.get("www-authenticate")).toContain("invalid_token");
    }
  });

  it("treats the project's anon key as 'not signed in', not as a broken token", async () => {
    expect((await h.call("/health", { token: h.deps.config.anonKey })).status).toBe(200);
    expect((await h.call("/auth/me", { token: h.deps.config.anonKey })).body.error?.code).toBe(
      "UNAUTHORIZED",
    );
  });
});
