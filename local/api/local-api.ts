import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { createApp } from "../../functions/app.ts";
import { loadApiConfig, type ApiConfig } from "../../functions/config.ts";
import type { AppDeps } from "../../functions/deps.ts";
import { createSupabaseDeps } from "../../functions/production-deps.ts";
import { createDb } from "../../shared/platform/db.ts";
import { loadOrCreateJwtSecret } from "../jwt-secret.ts";
import { createLocalDeps } from "./local-deps.ts";
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
    const local = await createLocalDeps({
      openDb: (c) => createDb({ url: c.dbUrl, maxConnections: c.dbMaxConnections, prepare: c.dbPrepare }),
      secret,
      publicUrl,
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      env: options.env,
      publicPrefix: "",
      logSink: options.logSink,
    });
    ({ config, deps } = local);
    const storage = local.storage;
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
