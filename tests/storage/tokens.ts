import { jwtVerify, SignJWT } from "jose";
import type { JwtClaims } from "../../shared/platform/db.ts";

/** Tokens as GoTrue issues them (protocols 1.4), signed with a test-only HS256 secret. */
export const TEST_JWT_SECRET = "test-only-secret-of-the-storage-contract-at-least-32-chars";
const key = new TextEncoder().encode(TEST_JWT_SECRET);

async function sign(payload: Record<string, unknown>, expiresInSeconds = 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(key);
}

export const accessToken = (user: { claims: JwtClaims }): Promise<string> =>
  sign({ ...user.claims, iss: "http://storage.test/auth/v1", aud: "authenticated", aal: "aal1" });

export const apiKey = (role: "anon" | "service_role"): Promise<string> =>
  sign({ iss: "supabase-demo", role });

/** The verifier the disk store is given: jose, HS256, the test secret. */
export async function verifyToken(token: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
  return payload as Record<string, unknown>;
}
