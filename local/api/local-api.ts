import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { join } from "node:path";
import { createApp } from "../../functions/app.ts";
import { loadApiConfig, type ApiConfig } from "../../functions/config.ts";
import type { AppDeps } from "../../functions/deps.ts";
import { createSupabaseDeps } from "../../functions/production-deps.ts";
import { createRequestLogWriter } from "../../functions/request-log.ts";
import { systemClock } from "../../shared/platform/clock.ts";
import { createDb } from "../../shared/platform/db.ts";
import { createJwtVerifier } from "../../shared/platform/jwt.ts";
import { mintApiKey } from "../../shared/platform/jwt-mint.ts";
import { createLogger } from "../../shared/platform/logger.ts";
import { createPgAuthAdmin } from "../auth/pg-auth-admin.ts";
import { loadOrCreateJwtSecret } from "../jwt-secret.ts";
import { platformBearerVerifier } from "../platform-bearer.ts";
import { createDiskStorage } from "../storage/disk-store.ts";
import { storageRoutes } from "../storage/storage-routes.ts";

export interface LocalApiOptions {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  /** `local`: files on disk under the data directory, served at /storage/v1; `supabase`: SUPABASE_URL's Storage. */
  storage: "local" | "supabase";
  env: Record<string, string | undefined>;
  logSink?: (line: string) => void;
}

export interface LocalApi {
  url: string;
  config: ApiConfig;
  deps: AppDeps;
  close(): Promise<void>;
}

/**
 * `synth api`: the Edge Function's app under Node, for local use, tests and the bench. With local storage
 * it needs nothing but PostgreSQL: tokens are HS256 with the local secret, Storage is the disk store (its
 * routes mounted at /storage/v1 so signed URLs and supabase-js uploads work), and Auth's admin actions go
 * to auth.users directly.
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const publicUrl = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
  let config: ApiConfig;
  let deps: AppDeps;
  let root: Hono;
  if (options.storage === "supabase") {
    config = loadApiConfig({
      ...options.env,
      SUPABASE_DB_URL: options.env.SUPABASE_DB_URL ?? options.databaseUrl,
    });
    deps = createSupabaseDeps(config, { logSink: options.logSink });
    root = new Hono();
  } else {
    const secret = await loadOrCreateJwtSecret(options.dataDir, options.env.SUPABASE_JWT_SECRET);
    config = loadApiConfig({
      ...options.env,
      SUPABASE_URL: options.env.SUPABASE_URL ?? publicUrl,
      SUPABASE_ANON_KEY: await mintApiKey(secret, "anon"),
      SUPABASE_SERVICE_ROLE_KEY: await mintApiKey(secret, "service_role"),
      SUPABASE_DB_URL: options.databaseUrl,
      SUPABASE_JWT_SECRET: secret,
      SYNTH_DB_PREPARE: options.env.SYNTH_DB_PREPARE ?? "true",
      SYNTH_PUBLIC_PREFIX: options.env.SYNTH_PUBLIC_PREFIX ?? "",
    });
    const logger = createLogger({ level: config.logLevel, sink: options.logSink });
    const db = createDb({
      url: config.dbUrl,
      maxConnections: config.dbMaxConnections,
      prepare: config.dbPrepare,
    });
    const verifier = createJwtVerifier({ secret, audience: config.jwt.audience, issuer: config.jwt.issuer });
    const storage = createDiskStorage({
      root: join(options.dataDir, "storage"),
      db,
      verify: platformBearerVerifier(secret, verifier),
      jwtSecret: secret,
      publicUrl: config.supabaseUrl,
    });
    deps = {
      config,
      db,
      storage,
      authAdmin: createPgAuthAdmin(db),
      verifier,
      clock: systemClock,
      logger,
      requestLog: createRequestLogWriter({ db, logger }),
    };
    root = new Hono();
    root.route("/", storageRoutes(storage));
  }
  root.route("/", createApp(deps));
  root.get("/", (c) =>
    c.text(`synth API: ${config.supabaseUrl}/api (OpenAPI at /api/openapi.json, docs at /api/docs)\n`),
  );

  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: root.fetch, port: options.port, hostname: options.host }, () => resolve(s));
  });
  return {
    url: publicUrl,
    config,
    deps,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.requestLog.flush();
      await deps.db.destroy();
    },
  };
}
