import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import { synthError, SynthError } from "../errors.ts";
import { jwtClaimsSchema, type JwtClaims } from "./db.ts";

/**
 * Verification of Supabase Auth access tokens, identical under Node and Deno. A project signs either with
 * the legacy HS256 secret or with asymmetric keys published at `/auth/v1/.well-known/jwks.json`; a project
 * migrating between the two has tokens of both kinds alive at once, so both may be configured and the
 * token's own `alg` picks the key (never the other way round: an HS256 token is never checked against a
 * public key, which is the classic algorithm-confusion hole).
 */

export const MAX_TOKEN_BYTES = 8 * 1024;
export const HMAC_ALGORITHMS = ["HS256"] as const;
export const ASYMMETRIC_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

export const jwtVerifierOptionsSchema = z
  .object({
    /** The project's legacy JWT secret. Supabase requires at least 32 characters. */
    secret: z.string().min(32).optional(),
    jwksUrl: z.string().url().optional(),
    audience: z.string().min(1).default("authenticated"),
    /** e.g. `https://<ref>.supabase.co/auth/v1`; unchecked when absent. */
    issuer: z.string().min(1).optional(),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(5),
    /** How long a fetched key set is trusted (jose's cacheMaxAge). */
    jwksCacheMaxAgeMs: z.number().int().min(0).default(600_000),
    /**
     * After a fetch, an unknown kid does not trigger another one for this long (jose's cooldownDuration), so
     * a flood of forged kids cannot turn into a flood of requests to the key endpoint.
     */
    jwksCooldownMs: z.number().int().min(0).default(30_000),
    jwksTimeoutMs: z.number().int().min(1).default(5_000),
    now: z.custom<() => Date>((value) => typeof value === "function").optional(),
  })
  .refine((o) => o.secret !== undefined || o.jwksUrl !== undefined, {
    message: "a JWT verifier needs the project's JWT secret, its JWKS URL, or both",
    path: ["secret"],
  });
export type JwtVerifierOptions = z.input<typeof jwtVerifierOptionsSchema>;

export interface VerifiedUser {
  /** auth.users.id (the token's sub). */
  id: string;
  email?: string;
  /** From app_metadata.role only: user_metadata is writable by the user themselves. */
  role: "user" | "admin";
  /** What PostgreSQL sees as request.jwt.claims (asUser). */
  claims: JwtClaims;
  sessionId?: string;
  /** The token's exp, seconds since the epoch. */
  expiresAt: number;
}

export interface JwtVerifier {
  verify(token: string): Promise<VerifiedUser>;
}

const invalid = (message: string, details: Record<string, unknown> = {}, cause?: unknown): SynthError =>
  synthError("INVALID_TOKEN", message, details, cause);

/** The bearer of an Authorization header; UNAUTHORIZED when there is none. */
export function bearerToken(authorization: string | null | undefined): string {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match)
    throw synthError("UNAUTHORIZED", "this request needs an Authorization: Bearer <access token> header");
  return match[1];
}

function translateJoseError(error: unknown): SynthError {
  if (error instanceof SynthError) return error;
  if (error instanceof errors.JWTExpired)
    return synthError("TOKEN_EXPIRED", "the access token has expired", {}, error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return invalid(
      `the access token's ${error.claim} claim is not acceptable (${error.reason})`,
      { claim: error.claim },
      error,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return invalid("the access token's signature does not match any key of this project", {}, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return invalid("the access token's signing algorithm is not accepted", {}, error);
  }
  if (error instanceof errors.JWKSTimeout) {
    return synthError("INTERNAL_ERROR", "the project's signing keys could not be fetched in time", {}, error);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return invalid("the access token is malformed", {}, error);
  }
  // Anything else (the key endpoint down, an unreadable key set) is our failure, not the caller's token.
  return synthError("INTERNAL_ERROR", "the access token could not be verified", {}, error);
}

function numeric(payload: JWTPayload, claim: "iat" | "exp"): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw invalid(`the access token's ${claim} is not a number`);
  return value;
}

function toVerifiedUser(
  payload: JWTPayload,
  o: z.output<typeof jwtVerifierOptionsSchema>,
  nowSeconds: number,
): VerifiedUser {
  // Role first: an API key is a validly signed token of the project, and the one mistake worth naming.
  if (payload.role !== "authenticated") {
    const role = typeof payload.role === "string" ? payload.role : "none";
    const message =
      role === "anon" || role === "service_role"
        ? `this is the project's ${role} API key, not a user's access token: sign in and send the session's access_token`
        : `the token's role is ${JSON.stringify(role)}; only user access tokens (role "authenticated") are accepted`;
    throw invalid(message, { role });
  }
  const audiences =
    typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!audiences.includes(o.audience))
    throw invalid(`the access token is not meant for audience ${JSON.stringify(o.audience)}`, {
      claim: "aud",
    });
  if (o.issuer !== undefined && payload.iss !== o.issuer) {
    throw invalid("the access token was issued by another Auth server", { claim: "iss" });
  }
  const exp = numeric(payload, "exp");
  if (exp === undefined) throw invalid("the access token has no expiry", { claim: "exp" });
  const iat = numeric(payload, "iat");
  if (iat !== undefined && iat > nowSeconds + o.clockToleranceSeconds) {
    throw invalid("the access token is issued in the future", { claim: "iat" });
  }
  const parsed = jwtClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const subOk = z.string().uuid().safeParse(payload.sub).success;
    throw invalid(
      subOk ? "the access token's claims are malformed" : "the access token's sub is not a user id",
      {
        claim: subOk ? undefined : "sub",
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      },
    );
  }
  const claims = parsed.data;
  const email = typeof claims.email === "string" && claims.email !== "" ? claims.email : undefined;
  const sessionId = typeof payload.session_id === "string" ? payload.session_id : undefined;
  return {
    id: claims.sub,
    ...(email === undefined ? {} : { email }),
    role: claims.app_metadata?.role === "admin" ? "admin" : "user",
    claims,
    ...(sessionId === undefined ? {} : { sessionId }),
    expiresAt: exp,
  };
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const o = jwtVerifierOptionsSchema.parse(options);
  const secret = o.secret === undefined ? undefined : new TextEncoder().encode(o.secret);
  const jwks =
    o.jwksUrl === undefined
      ? undefined
      : createRemoteJWKSet(new URL(o.jwksUrl), {
          cacheMaxAge: o.jwksCacheMaxAgeMs,
          cooldownDuration: o.jwksCooldownMs,
          timeoutDuration: o.jwksTimeoutMs,
        });
  const now = o.now ?? (() => new Date());

  return {
    async verify(token) {
      if (typeof token !== "string" || token === "")
        throw synthError("UNAUTHORIZED", "no access token was sent");
      if (new TextEncoder().encode(token).length > MAX_TOKEN_BYTES) {
        throw invalid(`the access token is longer than ${MAX_TOKEN_BYTES} bytes`);
      }
      // Supabase's new-format API keys are opaque strings, not JWTs: name the mistake rather than "malformed".
      if (/^sb_(publishable|secret)_/.test(token)) {
        throw invalid(
          "this is one of the project's API keys, not a user's access token: sign in and send the session's access_token",
        );
      }
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch (error) {
        throw invalid("the access token is malformed", {}, error);
      }
      if (token.split(".").length !== 3) throw invalid("the access token is malformed");
      const currentDate = now();
      const common = { clockTolerance: o.clockToleranceSeconds, currentDate, requiredClaims: ["exp"] };
      try {
        let payload: JWTPayload;
        if ((HMAC_ALGORITHMS as readonly string[]).includes(alg ?? "")) {
          if (!secret)
            throw invalid(
              "HS256 access tokens are not accepted by this project (it signs with asymmetric keys)",
              { alg },
            );
          ({ payload } = await jwtVerify(token, secret, { ...common, algorithms: [...HMAC_ALGORITHMS] }));
        } else if ((ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg ?? "")) {
          if (!jwks)
            throw invalid(
              `${alg} access tokens are not accepted by this project (it signs with its JWT secret)`,
              { alg },
            );
          ({ payload } = await jwtVerify(token, jwks, { ...common, algorithms: [...ASYMMETRIC_ALGORITHMS] }));
        } else {
          throw invalid(
            `access tokens signed with ${JSON.stringify(alg ?? "no algorithm")} are not accepted`,
            { alg },
          );
        }
        return toVerifiedUser(payload, o, Math.floor(currentDate.getTime() / 1000));
      } catch (error) {
        throw translateJoseError(error);
      }
    },
  };
}
