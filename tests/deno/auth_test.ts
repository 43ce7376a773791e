// Runs under Deno (npm run test:deno): token verification (secret and JWKS) and the Supabase Auth admin
// adapter are what an Edge Function uses, so they must work there unchanged.
import { exportJWK, generateKeyPair } from "jose";
import { createGoTrueAdmin } from "../../shared/platform/auth-admin-gotrue.ts";
import { createJwtVerifier } from "../../shared/platform/jwt.ts";
import { mintAccessToken, mintApiKey } from "../../shared/platform/jwt-mint.ts";
import { isSynthError } from "../../shared/errors.ts";

const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isSynthError(error)) return error.code;
    throw error;
  }
  return "ok";
}

Deno.test("access tokens verify under Deno, by secret and by JWKS", async () => {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "deno-1", alg: "ES256", use: "sig" };
  let fetches = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    fetches += 1;
    return Response.json({ keys: [jwk] });
  });
  try {
    const verifier = createJwtVerifier({
      secret: SECRET,
      jwksUrl: `http://127.0.0.1:${server.addr.port}/jwks.json`,
    });
    const sub = crypto.randomUUID();
    const hs = await verifier.verify(await mintAccessToken(SECRET, { sub, app_metadata: { role: "admin" } }));
    assert(hs.id === sub && hs.role === "admin", `HS256: ${JSON.stringify(hs)}`);
    for (let i = 0; i < 3; i += 1) {
      const es = await verifier.verify(
        await mintAccessToken({ privateKey, alg: "ES256", kid: "deno-1" }, { sub }),
      );
      assert(es.id === sub && es.role === "user", `ES256: ${JSON.stringify(es)}`);
    }
    assert(fetches === 1, `the key set was fetched ${fetches} times`);
    assert(
      (await code(verifier.verify(await mintApiKey(SECRET, "anon")))) === "INVALID_TOKEN",
      "anon key accepted",
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("the Supabase Auth admin adapter maps GoTrue's answers under Deno", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const versioned = request.headers.get("x-supabase-api-version") === "2024-01-01";
    if (request.headers.get("apikey") !== "service-key" || !versioned)
      return new Response(null, { status: 400 });
    return Response.json({ code: "user_not_found", message: "User not found" }, { status: 404 });
  });
  try {
    const admin = createGoTrueAdmin({
      url: `http://127.0.0.1:${server.addr.port}`,
      serviceRoleKey: "service-key",
    });
    const id = crypto.randomUUID();
    assert((await admin.getUser(id)) === null, "an unknown user is null");
    assert((await code(admin.setBanned(id, true))) === "NOT_FOUND", "banning an unknown user");
  } finally {
    await server.shutdown();
  }
});
