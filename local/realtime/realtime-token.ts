import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";

/**
 * The tokens Realtime accepts (realtime_channel.ex confirm_token, channels_authorization.ex): any JWT of the
 * project with `role` and `exp`, so both the API keys (anon, service_role) and user access tokens. The
 * failures carry the real server's wording, because clients log it and some match on it.
 */
export interface RealtimeClaims {
  role: string;
  exp: number;
  sub?: string;
  [claim: string]: unknown;
}

export type VerifyRealtimeToken = (token: string) => Promise<RealtimeClaims>;

export type RealtimeTokenFailure = "malformed" | "signature" | "expired" | "missing_claims";

export class RealtimeTokenError extends Error {
  constructor(
    readonly failure: RealtimeTokenFailure,
    message: string,
  ) {
    super(message);
    this.name = "RealtimeTokenError";
  }
}

const MAX_TOKEN_BYTES = 16 * 1024;

const malformed = () => new RealtimeTokenError("malformed", "The token provided is not a valid JWT");

function requireClaims(payload: Record<string, unknown>): RealtimeClaims {
  if (typeof payload.role !== "string" || typeof payload.exp !== "number" || !Number.isInteger(payload.exp)) {
    throw new RealtimeTokenError("missing_claims", "Fields `role` and `exp` are required in JWT");
  }
  return payload as RealtimeClaims;
}

/** An HS256 verifier for the project's JWT secret, as the local platform signs every token. */
export function createRealtimeTokenVerifier(
  jwtSecret: string,
  now: () => Date = () => new Date(),
): VerifyRealtimeToken {
  const key = new TextEncoder().encode(jwtSecret);
  return async (raw) => {
    // The real server URI-decodes and strips whitespace first (channels_authorization.ex clean_token).
    let token: string;
    try {
      token = decodeURIComponent(raw).replace(/\s/g, "");
    } catch {
      throw malformed();
    }
    if (token.length === 0 || token.length > MAX_TOKEN_BYTES || token.split(".").length !== 3)
      throw malformed();
    try {
      decodeProtectedHeader(token);
      decodeJwt(token);
    } catch {
      throw malformed();
    }
    const currentDate = now();
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], currentDate });
      return requireClaims(payload as Record<string, unknown>);
    } catch (error) {
      if (error instanceof RealtimeTokenError) throw error;
      if (error instanceof errors.JWTExpired) {
        const exp = Number(error.payload.exp);
        const ago = Math.max(0, Math.floor(currentDate.getTime() / 1000) - exp);
        throw new RealtimeTokenError("expired", `Token has expired ${ago} seconds ago`);
      }
      if (error instanceof errors.JWTClaimValidationFailed) throw malformed();
      throw new RealtimeTokenError("signature", "Failed to validate JWT signature");
    }
  };
}

/** A failed verification as the reason of a phx_join error reply (`Code: message`). */
export function joinRefusal(error: unknown): string {
  if (!(error instanceof RealtimeTokenError)) return "Unknown Error on Channel";
  switch (error.failure) {
    case "malformed":
      return `MalformedJWT: ${error.message}`;
    case "signature":
      return `JwtSignatureError: ${error.message}`;
    case "expired":
    case "missing_claims":
      return `InvalidJWTToken: ${error.message}`;
  }
}

/** A failed verification of a refreshed token, as the `system` message that closes the channel says it. */
export function refreshRefusal(error: unknown): string {
  if (!(error instanceof RealtimeTokenError)) return "Unknown Error on Channel";
  // The real server prints the bare atom for a bad signature (inspect(:signature_error)).
  return error.failure === "signature" ? ":signature_error" : error.message;
}

/** A failed verification of the connection's apikey, as the HTTP 401 body's `error`. */
export function upgradeRefusal(error: unknown): string {
  if (!(error instanceof RealtimeTokenError)) return "The token provided is not a valid JWT";
  return error.failure === "expired" ? "Token has expired" : error.message;
}
