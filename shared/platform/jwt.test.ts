import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { base64url, exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSynthError, type ErrorCode } from "../errors.ts";
import { bearerToken, createJwtVerifier, MAX_TOKEN_BYTES } from "./jwt.ts";
import { mintAccessToken, mintApiKey, type AsymmetricSigningKey } from "./jwt-mint.ts";

const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const OTHER_SECRET = "another-projects-secret-that-is-also-32-characters-long";
const ISSUER = "http://127.0.0.1:54321/auth/v1";
const enc = new TextEncoder();

async function refusal(promise: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isSynthError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected the token to be refused");
}

/** A GoTrue-shaped payload signed with whatever header and key the test wants. */
async function signRaw(
  payload: Record<string, unknown>,
  header: { alg: string; kid?: string } = { alg: "HS256" },
  key: Uint8Array | CryptoKey = enc.encode(SECRET),
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, typ: "JWT" }).sign(key);
}

function gotruePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: randomUUID(),
    aud: "authenticated",
    exp: iat + 3600,
    iat,
    email: "a@example.test",
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: iat }],
    session_id: randomUUID(),
    is_anonymous: false,
    ...overrides,
  };
}

describe("HS256 verification", () => {
  const verifier = createJwtVerifier({ secret: SECRET, issuer: ISSUER });

  it("accepts a GoTrue access token and reads the user from it", async () => {
    const sub = randomUUID();
    const sessionId = randomUUID();
    const now = new Date();
    const token = await mintAccessToken(
      SECRET,
      { sub, email: "ada@example.test", session_id: sessionId, user_metadata: { name: "Ada" } },
      { now },
    );
    const user = await verifier.verify(token);
    expect(user.id).toBe(sub);
    expect(user.email).toBe("ada@example.test");
    expect(user.role).toBe("user");
    expect(user.sessionId).toBe(sessionId);
    expect(user.expiresAt).toBe(Math.floor(now.getTime() / 1000) + 3600);
    // Every claim is passed through, so PostgreSQL's auth.jwt() sees what it would behind Supabase.
    expect(user.claims).toMatchObject({
      sub,
      role: "authenticated",
      aud: "authenticated",
      iss: ISSUER,
      aal: "aal1",
      is_anonymous: false,
      user_metadata: { name: "Ada" },
      app_metadata: { provider: "email", providers: ["email"] },
    });
  });

  it("takes the admin role from app_metadata only, never from user_metadata", async () => {
    const admin = await mintAccessToken(SECRET, {
      sub: randomUUID(),
      app_metadata: { provider: "email", providers: ["email"], role: "admin" },
    });
    expect((await verifier.verify(admin)).role).toBe("admin");
    const selfPromoted = await mintAccessToken(SECRET, {
      sub: randomUUID(),
      user_metadata: { role: "admin" },
    });
    expect((await verifier.verify(selfPromoted)).role).toBe("user");
    const almost = await mintAccessToken(SECRET, { sub: randomUUID(), app_metadata: { role: "Admin" } });
    expect((await verifier.verify(almost)).role).toBe("user");
  });

  it("leaves email out for a phone user (GoTrue sends an empty string)", async () => {
    const user = await verifier.verify(
      await mintAccessToken(SECRET, { sub: randomUUID(), phone: "15550100" }),
    );
    expect(user.email).toBeUndefined();
    expect(user.claims.phone).toBe("15550100");
  });

  it("refuses an expired token with TOKEN_EXPIRED, but tolerates a few seconds of clock skew", async () => {
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    const expired = await mintAccessToken(SECRET, { sub: randomUUID() }, { now: twoHoursAgo });
    expect(await refusal(verifier.verify(expired))).toMatchObject({ code: "TOKEN_EXPIRED" });
    const justExpired = await mintAccessToken(
      SECRET,
      { sub: randomUUID() },
      { now: new Date(Date.now() - 3603_000) },
    );
    expect((await verifier.verify(justExpired)).id).toBeTruthy();
    const tenSecondsLate = await mintAccessToken(
      SECRET,
      { sub: randomUUID() },
      { now: new Date(Date.now() - 3610_000) },
    );
    expect(await refusal(verifier.verify(tenSecondsLate))).toMatchObject({ code: "TOKEN_EXPIRED" });
  });

  it("reads the time from the injected clock", async () => {
    const issued = new Date("2030-01-01T00:00:00Z");
    const token = await mintAccessToken(SECRET, { sub: randomUUID() }, { now: issued, expiresIn: 60 });
    const at = (iso: string) => createJwtVerifier({ secret: SECRET, now: () => new Date(iso) });
    expect((await at("2030-01-01T00:00:30Z").verify(token)).expiresAt).toBe(issued.getTime() / 1000 + 60);
    expect(await refusal(at("2030-01-01T00:02:00Z").verify(token))).toMatchObject({ code: "TOKEN_EXPIRED" });
    expect(await refusal(at("2029-12-31T23:59:00Z").verify(token))).toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("refuses a token not valid yet (nbf or iat in the future beyond the tolerance)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const nbf = await signRaw(gotruePayload({ nbf: now + 60 }));
    expect(await refusal(verifier.verify(nbf))).toMatchObject({ code: "INVALID_TOKEN" });
    const iat = await signRaw(gotruePayload({ iat: now + 60, exp: now + 3660 }));
    expect(await refusal(verifier.verify(iat))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/future/),
    });
    const slightlyAhead = await signRaw(gotruePayload({ iat: now + 3, nbf: now + 3 }));
    expect((await verifier.verify(slightlyAhead)).id).toBeTruthy();
  });

  it("refuses the wrong audience, a missing audience and the wrong issuer", async () => {
    expect(await refusal(verifier.verify(await signRaw(gotruePayload({ aud: "anon" }))))).toMatchObject({
      code: "INVALID_TOKEN",
    });
    expect(await refusal(verifier.verify(await signRaw(gotruePayload({ aud: undefined }))))).toMatchObject({
      code: "INVALID_TOKEN",
    });
    const foreign = await signRaw(gotruePayload({ iss: "https://evil.example/auth/v1" }));
    expect(await refusal(verifier.verify(foreign))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/issued/),
    });
    // An audience list that names ours is what RFC 7519 allows.
    expect(
      (await verifier.verify(await signRaw(gotruePayload({ aud: ["other", "authenticated"] })))).id,
    ).toBeTruthy();
    // Without a configured issuer any issuer is fine (the secret is the project's already).
    const anyIssuer = createJwtVerifier({ secret: SECRET });
    expect((await anyIssuer.verify(foreign)).id).toBeTruthy();
    const custom = createJwtVerifier({ secret: SECRET, audience: "synth" });
    expect(await refusal(custom.verify(await mintAccessToken(SECRET, { sub: randomUUID() })))).toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("refuses a token signed with another secret, or altered after signing", async () => {
    const other = await mintAccessToken(OTHER_SECRET, { sub: randomUUID() });
    expect(await refusal(verifier.verify(other))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/signature/),
    });
    const [header, , signature] = (await mintAccessToken(SECRET, { sub: randomUUID() })).split(".");
    const forged = base64url.encode(JSON.stringify(gotruePayload({ app_metadata: { role: "admin" } })));
    expect(await refusal(verifier.verify(`${header}.${forged}.${signature}`))).toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("refuses alg none, crafted by hand, with or without a signature part", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    const payload = base64url.encode(JSON.stringify(gotruePayload()));
    for (const token of [`${header}.${payload}.`, `${header}.${payload}`, `${header}.${payload}.c2ln`]) {
      expect(await refusal(verifier.verify(token))).toMatchObject({ code: "INVALID_TOKEN" });
    }
  });

  it("refuses other HMAC algorithms and an RS256 token when only the secret is configured", async () => {
    const hs512 = await signRaw(gotruePayload(), { alg: "HS512" }, enc.encode(SECRET.repeat(2)));
    expect(await refusal(verifier.verify(hs512))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/HS512/),
    });
    const { privateKey } = await generateKeyPair("RS256");
    const rs256 = await signRaw(gotruePayload(), { alg: "RS256", kid: "k1" }, privateKey);
    expect(await refusal(verifier.verify(rs256))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/RS256/),
    });
  });

  it("refuses malformed tokens", async () => {
    const good = await mintAccessToken(SECRET, { sub: randomUUID() });
    for (const token of [
      "abc",
      "a.b.c",
      "a.b",
      good.split(".").slice(0, 2).join("."),
      `${good}.extra`,
      `x${good}`,
      "....",
    ]) {
      expect(await refusal(verifier.verify(token))).toMatchObject({ code: "INVALID_TOKEN" });
    }
    const [header, , signature] = good.split(".");
    expect(
      await refusal(verifier.verify(`${header}.${base64url.encode("not json")}.${signature}`)),
    ).toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("refuses a token without sub, with a sub that is not a uuid, or without exp", async () => {
    for (const sub of [undefined, "", "admin", 42, "00000000-0000-0000-0000-00000000000g"]) {
      expect(await refusal(verifier.verify(await signRaw(gotruePayload({ sub }))))).toMatchObject({
        code: "INVALID_TOKEN",
      });
    }
    expect(await refusal(verifier.verify(await signRaw(gotruePayload({ exp: undefined }))))).toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("refuses the project's anon and service_role keys used as a user token, naming the mistake", async () => {
    for (const role of ["anon", "service_role"] as const) {
      const key = await mintApiKey(SECRET, role);
      expect(await refusal(verifier.verify(key))).toEqual({
        code: "INVALID_TOKEN",
        message: expect.stringContaining(`${role} API key`),
      });
    }
    const publishable = "sb_publishable_ZxY0aBcDeFgHiJkLmNoPqR_abc123";
    expect(await refusal(verifier.verify(publishable))).toEqual({
      code: "INVALID_TOKEN",
      message: expect.stringContaining("API keys"),
    });
    // Even with a sub and the right audience, a role other than authenticated is not a user token.
    for (const role of ["anon", "service_role", "supabase_admin", undefined]) {
      expect(await refusal(verifier.verify(await signRaw(gotruePayload({ role }))))).toMatchObject({
        code: "INVALID_TOKEN",
      });
    }
  });

  it("refuses a token longer than 8 KiB before looking inside it", async () => {
    const big = await mintAccessToken(SECRET, {
      sub: randomUUID(),
      user_metadata: { blob: "x".repeat(MAX_TOKEN_BYTES) },
    });
    expect(big.length).toBeGreaterThan(MAX_TOKEN_BYTES);
    expect(await refusal(verifier.verify(big))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/8192/),
    });
    const fits = await mintAccessToken(SECRET, {
      sub: randomUUID(),
      user_metadata: { blob: "x".repeat(4000) },
    });
    expect((await verifier.verify(fits)).id).toBeTruthy();
  });

  it("answers UNAUTHORIZED for a missing token and reads the bearer of an Authorization header", async () => {
    expect(await refusal(verifier.verify(""))).toMatchObject({ code: "UNAUTHORIZED" });
    for (const header of [undefined, null, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b"]) {
      expect(() => bearerToken(header)).toThrow(expect.objectContaining({ code: "UNAUTHORIZED" }));
    }
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerToken("bearer  abc.def.ghi")).toBe("abc.def.ghi");
  });

  it("needs a secret or a JWKS URL, and a secret of Supabase's minimum length", () => {
    expect(() => createJwtVerifier({})).toThrow(/secret/);
    expect(() => createJwtVerifier({ secret: "short" })).toThrow();
    expect(() => createJwtVerifier({ jwksUrl: "not a url" })).toThrow();
  });
});

describe("API keys", () => {
  it("mints the Supabase CLI's demo anon and service_role keys byte for byte", async () => {
    // The demo keys expire at 1983812996; ten 365-day years earlier is when they were made.
    const now = new Date((1983812996 - 10 * 365 * 86400) * 1000);
    expect(await mintApiKey(SECRET, "anon", { now })).toBe(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0",
    );
    expect(await mintApiKey(SECRET, "service_role", { now })).toBe(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU",
    );
  });

  it("mints access tokens with GoTrue's header and claims, in GoTrue's order", async () => {
    const now = new Date("2030-06-01T12:00:00Z");
    const token = await mintAccessToken(
      SECRET,
      { sub: "6f1f2c1e-5a4e-4f8e-9d3b-2b7e0c1a9f00", email: "a@b.c" },
      { now },
    );
    const [header, payload] = token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))));
    expect(header).toEqual({ alg: "HS256", typ: "JWT" });
    const iat = now.getTime() / 1000;
    expect(Object.keys(payload)).toEqual([
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
    ]);
    expect(payload).toMatchObject({
      exp: iat + 3600,
      iat,
      amr: [{ method: "password", timestamp: iat }],
      role: "authenticated",
      aud: "authenticated",
      app_metadata: { provider: "email", providers: ["email"] },
    });
    expect(payload.session_id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

interface JwksServer {
  url: string;
  fetches: () => number;
  setKeys(keys: JWK[]): void;
  close(): Promise<void>;
}

async function startJwksServer(initial: JWK[]): Promise<JwksServer> {
  let keys = initial;
  let count = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== "/auth/v1/.well-known/jwks.json") {
      res.writeHead(404).end();
      return;
    }
    count += 1;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json`,
    fetches: () => count,
    setKeys: (next) => {
      keys = next;
    },
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

async function signingKey(
  alg: AsymmetricSigningKey["alg"],
  kid: string,
): Promise<{ signer: AsymmetricSigningKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519" } : {});
  return { signer: { privateKey, alg, kid }, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

describe("JWKS verification", () => {
  let server: JwksServer;
  let es1: Awaited<ReturnType<typeof signingKey>>;
  let es2: Awaited<ReturnType<typeof signingKey>>;
  let rs: Awaited<ReturnType<typeof signingKey>>;
  let ed: Awaited<ReturnType<typeof signingKey>>;

  beforeAll(async () => {
    [es1, es2, rs, ed] = await Promise.all([
      signingKey("ES256", "es-1"),
      signingKey("ES256", "es-2"),
      signingKey("RS256", "rs-1"),
      signingKey("EdDSA", "ed-1"),
    ]);
    server = await startJwksServer([es1.jwk, rs.jwk, ed.jwk]);
  });
  afterAll(() => server.close());

  it("verifies ES256, RS256 and EdDSA tokens, fetching the key set once for many verifications", async () => {
    server.setKeys([es1.jwk, rs.jwk, ed.jwk]);
    const before = server.fetches();
    const verifier = createJwtVerifier({ jwksUrl: server.url, issuer: ISSUER });
    for (const key of [es1, rs, ed, es1, es1, rs]) {
      const sub = randomUUID();
      const user = await verifier.verify(
        await mintAccessToken(key.signer, { sub, app_metadata: { role: "admin" } }),
      );
      expect(user).toMatchObject({ id: sub, role: "admin" });
    }
    expect(server.fetches() - before).toBe(1);
  });

  it("refetches for an unknown kid after a key rotation, and stops accepting the retired key", async () => {
    server.setKeys([es1.jwk]);
    const before = server.fetches();
    const verifier = createJwtVerifier({ jwksUrl: server.url, jwksCooldownMs: 0 });
    await verifier.verify(await mintAccessToken(es1.signer, { sub: randomUUID() }));
    expect(server.fetches() - before).toBe(1);

    server.setKeys([es2.jwk]);
    const rotated = await verifier.verify(await mintAccessToken(es2.signer, { sub: randomUUID() }));
    expect(rotated.role).toBe("user");
    expect(server.fetches() - before).toBe(2);
    await verifier.verify(await mintAccessToken(es2.signer, { sub: randomUUID() }));
    expect(server.fetches() - before).toBe(2);

    const retired = await mintAccessToken(es1.signer, { sub: randomUUID() });
    expect(await refusal(verifier.verify(retired))).toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("does not refetch during the cooldown, whatever kids a caller makes up", async () => {
    server.setKeys([es1.jwk]);
    const before = server.fetches();
    const verifier = createJwtVerifier({ jwksUrl: server.url });
    await verifier.verify(await mintAccessToken(es1.signer, { sub: randomUUID() }));
    const { signer } = await signingKey("ES256", "made-up");
    for (let i = 0; i < 5; i += 1) {
      expect(
        await refusal(verifier.verify(await mintAccessToken(signer, { sub: randomUUID() }))),
      ).toMatchObject({
        code: "INVALID_TOKEN",
      });
    }
    expect(server.fetches() - before).toBe(1);
  });

  it("refuses a token whose signature is by another key under a published kid", async () => {
    server.setKeys([es1.jwk]);
    const verifier = createJwtVerifier({ jwksUrl: server.url, jwksCooldownMs: 0 });
    const impostor = { ...es2.signer, kid: es1.signer.kid };
    expect(
      await refusal(verifier.verify(await mintAccessToken(impostor, { sub: randomUUID() }))),
    ).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/signature/),
    });
  });

  it("accepts both kinds when a migrating project configures the secret and the JWKS", async () => {
    server.setKeys([es1.jwk]);
    const both = createJwtVerifier({ secret: SECRET, jwksUrl: server.url });
    expect((await both.verify(await mintAccessToken(SECRET, { sub: randomUUID() }))).role).toBe("user");
    expect((await both.verify(await mintAccessToken(es1.signer, { sub: randomUUID() }))).role).toBe("user");
    expect(
      await refusal(both.verify(await mintAccessToken(OTHER_SECRET, { sub: randomUUID() }))),
    ).toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("never checks an HS256 token against a public key (algorithm confusion)", async () => {
    server.setKeys([rs.jwk]);
    const jwksOnly = createJwtVerifier({ jwksUrl: server.url });
    // The attack: HMAC-sign with the public key's bytes, hoping the verifier uses them as an HMAC secret.
    const publicBytes = enc.encode(JSON.stringify(rs.jwk));
    const confused = await signRaw(gotruePayload(), { alg: "HS256", kid: rs.signer.kid }, publicBytes);
    expect(await refusal(jwksOnly.verify(confused))).toMatchObject({
      code: "INVALID_TOKEN",
      message: expect.stringMatching(/HS256/),
    });
    expect(
      await refusal(jwksOnly.verify(await mintAccessToken(SECRET, { sub: randomUUID() }))),
    ).toMatchObject({
      code: "INVALID_TOKEN",
    });
  });

  it("reports an unreachable key endpoint as our failure, not the caller's token", async () => {
    const down = await startJwksServer([]);
    const url = down.url;
    await down.close();
    const verifier = createJwtVerifier({ jwksUrl: url, jwksTimeoutMs: 2000 });
    expect(
      await refusal(verifier.verify(await mintAccessToken(es1.signer, { sub: randomUUID() }))),
    ).toMatchObject({
      code: "INTERNAL_ERROR",
    });
  });
});
