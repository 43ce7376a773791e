import { join } from "node:path";
import { loadApiConfig, type ApiConfig } from "../../functions/config.ts";
import type { AppDeps } from "../../functions/deps.ts";
import { createRequestLogWriter } from "../../functions/request-log.ts";
import { systemClock } from "../../shared/platform/clock.ts";
import type { Db } from "../../shared/platform/db.ts";
import { createJwtVerifier } from "../../shared/platform/jwt.ts";
import { mintApiKey } from "../../shared/platform/jwt-mint.ts";
import { createLogger } from "../../shared/platform/logger.ts";
import { createPgAuthAdmin } from "../auth/pg-auth-admin.ts";
import { platformBearerVerifier } from "../platform-bearer.ts";
import { createDiskStorage, type DiskStorage } from "../storage/disk-store.ts";

/**
 * The API keys of a local project. `iat`-free and with a fixed expiry base, as the Supabase CLI's demo keys
 * are: the same secret gives the same keys at every start, so a `.env` written once stays right.
 */
export async function localApiKeys(secret: string): Promise<{ anonKey: string; serviceRoleKey: string }> {
  const now = new Date("2026-01-01T00:00:00Z");
  return {
    anonKey: await mintApiKey(secret, "anon", { now }),
    serviceRoleKey: await mintApiKey(secret, "service_role", { now }),
  };
}

export interface LocalDepsOptions {
  /** The database, given the parsed configuration (pool size, prepared statements). */
  openDb: (config: ApiConfig) => Db;
  secret: string;
  /** e.g. http://127.0.0.1:54321: SUPABASE_URL as clients see it. */
  publicUrl: string;
  dataDir: string;
  /** For the configuration's record only: the db handle above is what is used. */
  databaseUrl: string;
  env: Record<string, string | undefined>;
  /** Where the API is mounted as clients see it: "" for `synth api`, /functions/v1 for `synth serve`. */
  publicPrefix: string;
  logSink?: (line: string) => void;
}

export interface LocalDeps {
  config: ApiConfig;
  deps: AppDeps;
  storage: DiskStorage;
  /** Storage's (and PostgREST's) bearer rule: a user's token or one of this project's API keys. */
  verifyBearer(token: string): Promise<Record<string, unknown>>;
}

/**
 * The API's dependencies on a machine without Supabase: tokens are HS256 with the local secret, Storage is
 * the disk store over the given database, Auth's admin actions go to auth.users directly.
 */
export async function createLocalDeps(options: LocalDepsOptions): Promise<LocalDeps> {
  const { secret } = options;
  const keys = await localApiKeys(secret);
  const config = loadApiConfig({
    ...options.env,
    SUPABASE_URL: options.env.SUPABASE_URL ?? options.publicUrl,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_DB_URL: options.databaseUrl,
    SUPABASE_JWT_SECRET: secret,
    SYNTH_DB_PREPARE: options.env.SYNTH_DB_PREPARE ?? "true",
    SYNTH_PUBLIC_PREFIX: options.env.SYNTH_PUBLIC_PREFIX ?? options.publicPrefix,
  });
  const db = options.openDb(config);
  const logger = createLogger({ level: config.logLevel, sink: options.logSink });
  const verifier = createJwtVerifier({ secret, audience: config.jwt.audience, issuer: config.jwt.issuer });
  const verifyBearer = platformBearerVerifier(secret, verifier);
  const storage = createDiskStorage({
    root: join(options.dataDir, "storage"),
    db,
    verify: verifyBearer,
    jwtSecret: secret,
    publicUrl: config.supabaseUrl,
  });
  const deps: AppDeps = {
    config,
    db,
    storage,
    authAdmin: createPgAuthAdmin(db),
    verifier,
    clock: systemClock,
    logger,
    requestLog: createRequestLogWriter({ db, logger }),
  };
  return { config, deps, storage, verifyBearer };
}
