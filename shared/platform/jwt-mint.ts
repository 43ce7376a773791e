import { SignJWT } from "jose";
import { z } from "zod";

/**
 * Tokens shaped exactly as Supabase issues them (reference/supabase-protocols.md 1.4): user access tokens
 * as GoTrue's GenerateAccessToken builds them, and the anon / service_role API keys. The local platform
 * issues these; tests use them to drive the verifier with what a real project would send.
 */

/** An asymmetric signing key, as projects migrated off the legacy secret use (the kid goes in the header). */
export interface AsymmetricSigningKey {
  privateKey: CryptoKey;
  alg: "RS256" | "ES256" | "EdDSA";
  kid: string;
}

/** The HS256 legacy JWT secret (GoTrue signs with its UTF-8 bytes) or an asymmetric key. */
export type SigningKey = string | AsymmetricSigningKey;

const metadataSchema = z.record(z.string(), z.unknown());

export const accessTokenClaimsSchema = z.object({
  sub: z.string().uuid(),
  iss: z.string().min(1).default("http://127.0.0.1:54321/auth/v1"),
  aud: z.string().min(1).default("authenticated"),
  // GoTrue sends "" for an absent email or phone, never omits them.
  email: z.string().default(""),
  phone: z.string().default(""),
  app_metadata: metadataSchema.default({ provider: "email", providers: ["email"] }),
  user_metadata: metadataSchema.default({}),
  aal: z.enum(["aal1", "aal2"]).default("aal1"),
  amr: z.array(z.object({ method: z.string(), timestamp: z.number().int() })).optional(),
  session_id: z.string().uuid().optional(),
  is_anonymous: z.boolean().default(false),
});
export type AccessTokenClaimsInput = z.input<typeof accessTokenClaimsSchema>;

export const mintOptionsSchema = z.object({
  /** Seconds; GoTrue's default JWT expiry is 3600. */
  expiresIn: z.number().int().positive().default(3600),
  now: z.date().optional(),
});
export type MintOptions = z.input<typeof mintOptionsSchema>;

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

async function sign(key: SigningKey, payload: Record<string, unknown>): Promise<string> {
  if (typeof key === "string") {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(key));
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: "JWT", kid: key.kid })
    .sign(key.privateKey);
}

/** A user access token with GoTrue's claims, in GoTrue's order; role is always `authenticated`. */
export async function mintAccessToken(
  key: SigningKey,
  claims: AccessTokenClaimsInput,
  options: MintOptions = {},
): Promise<string> {
  const c = accessTokenClaimsSchema.parse(claims);
  const { expiresIn, now = new Date() } = mintOptionsSchema.parse(options);
  const iat = epochSeconds(now);
  return sign(key, {
    iss: c.iss,
    sub: c.sub,
    aud: c.aud,
    exp: iat + expiresIn,
    iat,
    email: c.email,
    phone: c.phone,
    app_metadata: c.app_metadata,
    user_metadata: c.user_metadata,
    role: "authenticated",
    aal: c.aal,
    amr: c.amr ?? [{ method: "password", timestamp: iat }],
    session_id: c.session_id ?? crypto.randomUUID(),
    is_anonymous: c.is_anonymous,
  });
}

export const apiKeyOptionsSchema = z.object({
  now: z.date().optional(),
  years: z.number().positive().max(100).default(10),
  iss: z.string().min(1).default("supabase-demo"),
});
export type ApiKeyOptions = z.input<typeof apiKeyOptionsSchema>;

const SECONDS_PER_YEAR = 365 * 24 * 3600;

/**
 * An anon or service_role API key as the Supabase CLI's demo keys are made: exactly `{iss, role, exp}`,
 * HS256 with the JWT secret, no sub, no aud (so the verifier can never take one for a user).
 */
export async function mintApiKey(
  secret: string,
  role: "anon" | "service_role",
  options: ApiKeyOptions = {},
): Promise<string> {
  const { now = new Date(), years, iss } = apiKeyOptionsSchema.parse(options);
  return sign(secret, { iss, role, exp: epochSeconds(now) + Math.round(years * SECONDS_PER_YEAR) });
}
