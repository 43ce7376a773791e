import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPgliteDatabase, type PgliteDatabase } from "../../local/db/pglite-database.ts";
import { createLogger } from "../../shared/platform/logger.ts";
import { pgliteSeedSql } from "../contract/seed-sql.ts";
import type { ContractDb } from "../db/fixtures.ts";

/** A data directory of the test's own, removed by the returned function. */
export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "synth-pglite-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const quietLogger = createLogger({
  level: process.env.SYNTH_TEST_LOG === "1" ? "debug" : "error",
  sink: process.env.SYNTH_TEST_LOG === "1" ? (line) => process.stderr.write(`${line}\n`) : () => {},
});

/** A fresh embedded database, migrated, as a contract suite's database (and the handle itself). */
export async function openPgliteContractDb(): Promise<ContractDb & { local: PgliteDatabase }> {
  const data = tempDataDir();
  const local = await openPgliteDatabase({ dataDir: data.dir, logger: quietLogger });
  return {
    local,
    su: pgliteSeedSql(local.pglite, local.session),
    db: local.db,
    close: async () => {
      await local.close();
      data.remove();
    },
  };
}
