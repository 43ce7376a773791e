import type { Logger } from "../../shared/platform/logger.ts";
import { openPostgresDatabase, type LocalDatabase } from "../db/local-database.ts";
import { ensureDatabase, migrate } from "../db/migrate.ts";
import { openPgliteDatabase } from "../db/pglite-database.ts";
import { installRealtimeCapture } from "../db/realtime-capture.ts";

/**
 * The database `synth serve` runs on, bootstrapped and migrated: a PostgreSQL server when a URL is given
 * (the database is created if missing), else the embedded one under the data directory.
 */
export async function openLocalDatabase(options: {
  dataDir: string;
  databaseUrl?: string;
  logger: Logger;
}): Promise<LocalDatabase> {
  const log = (line: string) => options.logger.log("info", line);
  let database: LocalDatabase;
  if (options.databaseUrl === undefined) {
    const embedded = await openPgliteDatabase({ dataDir: options.dataDir, logger: options.logger });
    const m = embedded.migration;
    log(`embedded database: ${m.applied.length} migrations applied, ${m.skipped.length} already there`);
    database = embedded;
  } else {
    await ensureDatabase(options.databaseUrl);
    const result = await migrate(options.databaseUrl, { log });
    log(`migrations: ${result.applied.length} applied, ${result.skipped.length} already there`);
    database = openPostgresDatabase({ url: options.databaseUrl, logger: options.logger });
  }
  // Realtime's change capture: local-only triggers on the publication's tables (never in migrations).
  await installRealtimeCapture(database.db);
  return database;
}
