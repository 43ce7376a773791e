import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../functions/app.ts";
import { systemClock } from "../../shared/platform/clock.ts";
import { createLogger, type Logger } from "../../shared/platform/logger.ts";
import { jobFitThreads, loadRunnerConfig } from "../../training-runner/config.ts";
import { defaultExecutors } from "../../training-runner/executors.ts";
import { createRunner, type Runner } from "../../training-runner/runner.ts";
import { configuredRunnerDeps } from "../../training-runner/configured-deps.ts";
import { createLocalDeps } from "../api/local-deps.ts";
import { authRoutes } from "../auth/auth-routes.ts";
import type { LocalDatabase } from "../db/local-database.ts";
import { loadOrCreateJwtSecret } from "../jwt-secret.ts";
import { createRealtimeServer } from "../realtime/realtime-server.ts";
import { createRealtimeTokenVerifier } from "../realtime/realtime-token.ts";
import { restRoutes } from "../rest/rest-routes.ts";
import { storageRoutes } from "../storage/storage-routes.ts";
import { functionsRouter } from "./functions-router.ts";
import { homePage } from "./home-page.ts";
import { openLocalDatabase } from "./open-database.ts";

export interface LocalPlatformOptions {
  port: number;
  host: string;
  dataDir: string;
  /** A PostgreSQL server; without it, the embedded database under the data directory. */
  databaseUrl?: string;
  /** Runners inside this process (each runs its jobs in worker threads). */
  runners: number;
  env: Record<string, string | undefined>;
  /** Where the structured log lines go (stderr for the CLI, so stdout stays the dotenv block). */
  logSink?: (line: string) => void;
}

export interface LocalPlatform {
  /** SUPABASE_URL for clients: http://host:port. */
  url: string;
  anonKey: string;
  serviceRoleKey: string;
  database: LocalDatabase;
  runners: Runner[];
  logger: Logger;
  /** Stops the runners (their jobs go back to the queue), then the server, then the database. */
  close(): Promise<void>;
}

/**
 * `synth serve`: the Supabase-shaped surface the platform uses, on one port, over the embedded PGlite or a
 * PostgreSQL server, with runners inside. The port is bound first (it may be 0), because the public URL is
 * part of the tokens' issuer and of signed URLs; requests before the app is built get a 503.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const logger = createLogger({
    level: options.env.LOG_LEVEL === "debug" ? "debug" : "info",
    sink: options.logSink,
    base: { service: "synth-serve" },
  });
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const secret = await loadOrCreateJwtSecret(options.dataDir, options.env.SUPABASE_JWT_SECRET);
  const database = await openLocalDatabase({
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    logger,
  });

  let app: Hono | null = null;
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve(
        {
          fetch: (request, env) =>
            app === null ? Response.json({ message: "starting" }, { status: 503 }) : app.fetch(request, env),
          port: options.port,
          hostname: options.host,
        },
        () => resolve(s),
      );
      s.once("error", reject);
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  // From here on a failed start (a migration's trigger, a runner that cannot start, ...) undoes what it
  // opened, last first, so the port, the database's lock file and any worker threads are released.
  const undo: (() => Promise<void>)[] = [
    () => database.close(),
    async () => {
      (server as Server).closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  ];
  try {
    return await started(options, logger, secret, database, server, undo, (a) => (app = a));
  } catch (error) {
    for (const step of undo.reverse()) {
      await step().catch((e: unknown) =>
        logger.log("warn", "cleanup after a failed start failed", { error: String(e) }),
      );
    }
    throw error;
  }
}

/** The part of the start that runs once the port is bound; each thing it opens registers its undo. */
async function started(
  options: LocalPlatformOptions,
  logger: Logger,
  secret: string,
  database: LocalDatabase,
  server: ServerType,
  undo: (() => Promise<void>)[],
  serveApp: (app: Hono) => void,
): Promise<LocalPlatform> {
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;

  // The embedded database has no URL; the configuration's record names it instead.
  const databaseUrl = database.url ?? `pglite:${options.dataDir}`;
  const local = await createLocalDeps({
    openDb: () => database.db,
    secret,
    publicUrl: url,
    dataDir: options.dataDir,
    databaseUrl,
    env: options.env,
    publicPrefix: "/functions/v1",
    logSink: options.logSink,
  });
  undo.push(() => local.deps.requestLog.flush());
  const api = createApp(local.deps);
  const { anonKey, serviceRoleKey } = local.config;

  const runners: Runner[] = [];
  for (let i = 0; i < options.runners; i++) {
    const config = loadRunnerConfig({
      ...options.env,
      DATABASE_URL: databaseUrl,
      SUPABASE_URL: url,
      SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
      SUPABASE_ANON_KEY: anonKey,
      RUNNER_ID: `serve-${process.pid}-${i + 1}-${randomBytes(2).toString("hex")}`,
      RUNNER_SHUTDOWN_GRACE_SECONDS: options.env.RUNNER_SHUTDOWN_GRACE_SECONDS ?? "2",
    });
    runners.push(
      createRunner(config, {
        db: database.db,
        storage: local.storage,
        logger,
        clock: systemClock,
        execute: defaultExecutors({ fitThreads: jobFitThreads(config, options.runners) }),
        listen: database.listen,
        ...configuredRunnerDeps(config, database.db, logger),
      }),
    );
  }

  const root = new Hono();
  root.get("/", (c) =>
    c.text(
      homePage({
        url,
        anonKey,
        database: database.kind === "pglite" ? `embedded (PGlite, ${options.dataDir})` : "PostgreSQL",
        runners: options.runners,
      }),
    ),
  );
  root.get("/health", async (c) => {
    const db = await databaseAnswers(database);
    const status = runners.map((r) => r.status());
    return c.json({ status: db ? "ok" : "degraded", database: db, runners: status }, db ? 200 : 503);
  });
  root.route(
    "/",
    authRoutes({ db: database.db, jwtSecret: secret, publicUrl: url, anonKey, serviceRoleKey }),
  );
  root.route("/", storageRoutes(local.storage));
  root.route("/", restRoutes({ db: database.db, verify: local.verifyBearer, anonKey, serviceRoleKey }));
  root.route("/", functionsRouter({ api: (request) => api.fetch(request) }));
  serveApp(root);
  const realtime = createRealtimeServer({
    db: database.db,
    listen: database.listen,
    verify: createRealtimeTokenVerifier(secret),
    logger,
  });
  undo.push(() => realtime.close());
  realtime.attach(server as Server);
  await realtime.ready();

  for (const runner of runners) {
    await runner.start();
    undo.push(() => runner.stop());
  }
  if (options.runners === 0 && database.url === undefined) {
    logger.log(
      "warn",
      "no runners: jobs wait until one runs (runners in other processes need --database-url)",
    );
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    anonKey,
    serviceRoleKey,
    database,
    runners,
    logger,
    close() {
      closing ??= (async () => {
        await Promise.all(runners.map((r) => r.stop()));
        await realtime.close();
        (server as Server).closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await local.deps.requestLog.flush();
        await database.close();
      })();
      return closing;
    },
  };
}

async function databaseAnswers(database: LocalDatabase): Promise<boolean> {
  try {
    await database.db.selectNoFrom((eb) => eb.lit(1).as("one")).execute();
    return true;
  } catch {
    return false;
  }
}
