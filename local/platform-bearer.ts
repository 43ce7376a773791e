import { jwtVerify } from "jose";
import type { JwtVerifier } from "../shared/platform/jwt.ts";

/**
 * The bearer Storage and PostgREST accept: a user's access token (the verifier's rules), or an API key of
 * this project. Supabase accepts the service_role and anon keys as bearers (that is how the runner's HTTP
 * adapter acts as the service role); the user verifier refuses them on purpose, so they are checked here:
 * HS256 with the local secret and exactly the key's role, no sub.
 */
export function platformBearerVerifier(
  secret: string,
  verifier: JwtVerifier,
): (token: string) => Promise<Record<string, unknown>> {
  const key = new TextEncoder().encode(secret);
  return async (token) => {
    try {
      return (await verifier.verify(token)).claims;
    } catch (error) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, key, { algorithms: ["HS256"] }));
      } catch {
        throw error;
      }
      if ((payload.role === "service_role" || payload.role === "anon") && payload.sub === undefined) {
        return { role: payload.role };
      }
      throw error;
    }
  };
}
