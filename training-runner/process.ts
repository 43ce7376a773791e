import { serve, type ServerType } from "@hono/node-server";
import { systemClock, type Clock } from "../shared/platform/clock.ts";
import { createLogger, type Logger } from "../shared/platform/logger.ts";
import { createHttpStorage } from "../shared/platform/storage-http.ts";
import type { RunnerConfig } from "./config.ts";
import type { JobExecutor } from "./execution.ts";
import { createRunnerHttp } from "./http.ts";
import { createRunnerDb } from "./pg-db.ts";
import { createRunner, type Runner } from "./runner.ts";
import type { JobKind } from "./config.ts";
import { configuredRunnerDeps } from "./configured-deps.ts";

export interface RunnerProcess {
  runner: Runner;
  url: string;
  logger: Logger;
  /** Stops claiming, waits up to the grace period, hands back what still runs, closes everything. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * A runner with everything it needs from the outside world: the database pool, Supabase Storage over
 * HTTP with the service key, and its HTTP endpoints. The entrypoint of `synth runner` and of the bench.
 */
export async function startRunnerProcess(
  config: RunnerConfig,
  options: { execute: Partial<Record<JobKind, JobExecutor>>; clock?: Clock; sink?: (line: string) => void },
): Promise<RunnerProcess> {
  const logger = createLogger({
    level: config.logLevel,
    sink: options.sink,
    base: { service: "synth-runner" },
  });
  // Named so an operator (and the fault tests) can find this runner's backends in pg_stat_activity.
  const { db, close: closeDb } = createRunnerDb({
    url: config.databaseUrl,
    maxConnections: config.dbMaxConnections,
    applicationName: `synth-runner:${config.runnerId}`.slice(0, 63),
    logger,
  });
  const storage = createHttpStorage({
    url: config.supabaseUrl,
    anonKey: config.anonKey,
    serviceRoleKey: config.serviceRoleKey,
  });
  const runner = createRunner(config, {
    db,
    storage,
    logger,
    clock: options.clock ?? systemClock,
    execute: options.execute,
    ...configuredRunnerDeps(config, db, logger),
  });
  const app = createRunnerHttp(runner, { webhookSecret: config.webhookSecret, logger });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  await runner.start();
  logger.log("info", "runner listening", { url: `http://${host}:${port}` });
  let closing: Promise<void> | null = null;
  return {
    runner,
    url: `http://${host}:${port}`,
    logger,
    shutdown(graceMs) {
      closing ??= (async () => {
        await runner.stop({ graceMs });
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await closeDb();
      })();
      return closing;
    },
  };
}
