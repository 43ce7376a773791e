import { createGoTrueAdmin } from "../shared/platform/auth-admin-gotrue.ts";
import { systemClock } from "../shared/platform/clock.ts";
import { createDb } from "../shared/platform/db.ts";
import { createJwtVerifier } from "../shared/platform/jwt.ts";
import { createLogger } from "../shared/platform/logger.ts";
import { createHttpStorage } from "../shared/platform/storage-http.ts";
import type { ApiConfig } from "./config.ts";
import type { AppDeps } from "./deps.ts";
import { createRequestLogWriter } from "./request-log.ts";

/**
 * The API's dependencies on a Supabase project (hosted, or anything that speaks its protocols): Postgres
 * through SUPABASE_DB_URL, Storage and Auth's admin API over HTTP, tokens verified with the project's
 * secret or JWKS. Runtime-neutral: the Deno entrypoint and `synth api --storage supabase` both use it.
 */
export function createSupabaseDeps(
  config: ApiConfig,
  options: { schedule?: (work: Promise<unknown>) => void; logSink?: (line: string) => void } = {},
): AppDeps {
  const logger = createLogger({ level: config.logLevel, sink: options.logSink });
  const db = createDb({
    url: config.dbUrl,
    maxConnections: config.dbMaxConnections,
    prepare: config.dbPrepare,
  });
  return {
    config,
    db,
    storage: createHttpStorage({
      url: config.supabaseUrl,
      anonKey: config.anonKey,
      serviceRoleKey: config.serviceRoleKey,
    }),
    authAdmin: createGoTrueAdmin({ url: config.supabaseUrl, serviceRoleKey: config.serviceRoleKey }),
    verifier: createJwtVerifier({
      secret: config.jwt.secret,
      jwksUrl: config.jwt.jwksUrl,
      audience: config.jwt.audience,
      issuer: config.jwt.issuer,
    }),
    clock: systemClock,
    logger,
    requestLog: createRequestLogWriter({ db, logger, schedule: options.schedule }),
  };
}
