import type { Db } from "../../shared/platform/db.ts";
import type { Logger } from "../../shared/platform/logger.ts";
import type { ListenFn } from "../../shared/platform/notifications.ts";
import { createRunnerDb, pgListen } from "../../training-runner/pg-db.ts";

/**
 * The database `synth serve` runs on, whichever it is: every part of the local platform (the API, the
 * Auth, Storage, REST and Realtime stand-ins, the runners inside the process) takes this one handle, so
 * the embedded PGlite and a PostgreSQL server are interchangeable behind it.
 */
export interface LocalDatabase {
  readonly kind: "postgres" | "pglite";
  readonly db: Db;
  readonly listen: ListenFn;
  /** A PostgreSQL server's URL, for runners in other processes; absent for the embedded database. */
  readonly url?: string;
  close(): Promise<void>;
}

/** A PostgreSQL server: a node-postgres pool (it rides out terminated backends) and LISTEN connections. */
export function openPostgresDatabase(options: {
  url: string;
  logger: Logger;
  maxConnections?: number;
  applicationName?: string;
}): LocalDatabase {
  const applicationName = options.applicationName ?? "synth-serve";
  const { db, close } = createRunnerDb({
    url: options.url,
    maxConnections: options.maxConnections ?? 10,
    applicationName,
    logger: options.logger,
  });
  const listen = pgListen({
    url: options.url,
    applicationName: `${applicationName}-listen`,
    logger: options.logger,
  });
  return { kind: "postgres", db, listen, url: options.url, close };
}
