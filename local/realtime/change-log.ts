import { sql } from "kysely";
import type { Db } from "../../shared/platform/db.ts";

/**
 * Takes a captured row out of synth_realtime.change_log (local/db/realtime-capture.ts): its new values as
 * the change left them, read once for all subscribers and deleted in the same statement, so the log holds
 * only what is still on its way. Null when the entry is gone (pruned while the stand-in was behind).
 */
export async function takeCapturedRow(db: Db, changeId: number): Promise<Record<string, unknown> | null> {
  const { rows } = await sql<{ row_values: Record<string, unknown> }>`
    delete from synth_realtime.change_log where id = ${changeId} returning row_values`.execute(db);
  return rows[0]?.row_values ?? null;
}
