import { z } from "zod";
import { synthError } from "../shared/errors.ts";

/**
 * The API's configuration, read once by the entrypoint from the environment Supabase gives a function
 * (SUPABASE_*) plus ours (SYNTH_*), validated here and passed down: nothing below reads the environment.
 * Every variable is documented in the README with its default.
 */
const intFromEnv = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const listFromEnv = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );

export const apiEnvSchema = z
  .object({
    SUPABASE_URL: z.string().url(),
    SUPABASE_ANON_KEY: z.string().min(1),
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
    SUPABASE_DB_URL: z.string().min(1),
    SUPABASE_JWT_SECRET: z.string().min(32).optional(),
    // `supabase secrets set` refuses names that start with SUPABASE_, so a deployed function gets the legacy
    // HS256 secret under this name.
    SYNTH_JWT_SECRET: z.string().min(32).optional(),
    SYNTH_JWKS_URL: z.string().url().optional(),
    SYNTH_JWT_AUDIENCE: z.string().default("authenticated"),
    SYNTH_JWT_ISSUER: z.string().optional(),
    SYNTH_DB_MAX_CONNECTIONS: intFromEnv(3, 1, 50),
    SYNTH_DB_PREPARE: z.enum(["true", "false"]).default("false"),
    SYNTH_CORS_ORIGINS: listFromEnv,
    SYNTH_MAX_BODY_BYTES: intFromEnv(1_048_576, 1024, 64 * 1_048_576),
    SYNTH_MAX_UPLOAD_BYTES: intFromEnv(20 * 1_048_576, 1024, 512 * 1_048_576),
    SYNTH_INLINE_PROFILE_BYTES: intFromEnv(5 * 1_048_576, 0, 64 * 1_048_576),
    SYNTH_SIGNED_URL_SECONDS: intFromEnv(300, 10, 7 * 86_400),
    SYNTH_RATE_UPLOADS_PER_HOUR: intFromEnv(60, 1, 100_000),
    SYNTH_RATE_GENERATIONS_PER_HOUR: intFromEnv(30, 1, 100_000),
    SYNTH_RATE_DELETIONS_PER_DAY: intFromEnv(3, 1, 1000),
    // Where clients reach the app's /api paths: Supabase routes /functions/v1/<name>/... to a function.
    SYNTH_PUBLIC_PREFIX: z
      .string()
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/)
      .default("/functions/v1"),
    SYNTH_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  })
  .refine((env) => !env.SYNTH_CORS_ORIGINS.includes("*"), {
    message: "SYNTH_CORS_ORIGINS must list origins; '*' is refused because the API takes credentials",
    path: ["SYNTH_CORS_ORIGINS"],
  });

export interface ApiConfig {
  supabaseUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  dbUrl: string;
  jwt: { secret?: string; jwksUrl?: string; audience: string; issuer?: string };
  dbMaxConnections: number;
  /** Prepared statements: false for Supabase's transaction-mode pooler (the default SUPABASE_DB_URL). */
  dbPrepare: boolean;
  corsOrigins: string[];
  limits: {
    bodyBytes: number;
    uploadBytes: number;
    inlineProfileBytes: number;
  };
  signedUrlSeconds: number;
  rateLimits: {
    uploads: { max: number; windowSeconds: number };
    generations: { max: number; windowSeconds: number };
    deletions: { max: number; windowSeconds: number };
  };
  logLevel: "debug" | "info" | "warn" | "error";
  /** The path before /api as clients see it (the OpenAPI document's server). */
  publicPrefix: string;
  version: string;
}

export const API_VERSION = "0.1.0";

export function loadApiConfig(env: Record<string, string | undefined>): ApiConfig {
  const parsed = apiEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw synthError("CONFIG_ERROR", `the API configuration is invalid: ${problems.join("; ")}`, {
      problems,
    });
  }
  const e = parsed.data;
  const supabaseUrl = e.SUPABASE_URL.replace(/\/+$/, "");
  const secret = e.SUPABASE_JWT_SECRET ?? e.SYNTH_JWT_SECRET;
  return {
    supabaseUrl,
    anonKey: e.SUPABASE_ANON_KEY,
    serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
    dbUrl: e.SUPABASE_DB_URL,
    jwt: {
      secret,
      // Without a shared secret the project's asymmetric keys are the only way to verify.
      jwksUrl: e.SYNTH_JWKS_URL ?? (secret ? undefined : `${supabaseUrl}/auth/v1/.well-known/jwks.json`),
      audience: e.SYNTH_JWT_AUDIENCE,
      issuer: e.SYNTH_JWT_ISSUER,
    },
    dbMaxConnections: e.SYNTH_DB_MAX_CONNECTIONS,
    dbPrepare: e.SYNTH_DB_PREPARE === "true",
    corsOrigins: e.SYNTH_CORS_ORIGINS,
    limits: {
      bodyBytes: e.SYNTH_MAX_BODY_BYTES,
      uploadBytes: e.SYNTH_MAX_UPLOAD_BYTES,
      inlineProfileBytes: e.SYNTH_INLINE_PROFILE_BYTES,
    },
    signedUrlSeconds: e.SYNTH_SIGNED_URL_SECONDS,
    rateLimits: {
      uploads: { max: e.SYNTH_RATE_UPLOADS_PER_HOUR, windowSeconds: 3600 },
      generations: { max: e.SYNTH_RATE_GENERATIONS_PER_HOUR, windowSeconds: 3600 },
      deletions: { max: e.SYNTH_RATE_DELETIONS_PER_DAY, windowSeconds: 86_400 },
    },
    logLevel: e.SYNTH_LOG_LEVEL,
    publicPrefix: e.SYNTH_PUBLIC_PREFIX,
    version: API_VERSION,
  };
}
