import { synthError } from "../../shared/errors.ts";
import type { Logger } from "../../shared/platform/logger.ts";
import { openPostgresDatabase, type LocalDatabase } from "../db/local-database.ts";
import { ensureDatabase, migrate } from "../db/migrate.ts";

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
  if (options.databaseUrl === undefined) {
    throw synthError("CONFIG_ERROR", "the embedded database is not available yet: pass --database-url");
  }
  await ensureDatabase(options.databaseUrl);
  const result = await migrate(options.databaseUrl, { log });
  log(`migrations: ${result.applied.length} applied, ${result.skipped.length} already there`);
  return openPostgresDatabase({ url: options.databaseUrl, logger: options.logger });
}
