import { z } from "zod";

/** What a capture trigger sends (local/db/realtime-capture.ts): where the change is, never the row itself. */
const primaryKeySchema = z.record(z.string(), z.unknown());

export const changeEventSchema = z.object({
  schema: z.string().min(1),
  table: z.string().min(1),
  type: z.enum(["INSERT", "UPDATE", "DELETE"]),
  commit_timestamp: z.string().min(1),
  /** The row's primary key after the change (absent for a DELETE). */
  pk: primaryKeySchema.nullable(),
  /** The primary key before the change (absent for an INSERT): a DELETE's old_record. */
  old_pk: primaryKeySchema.nullable(),
  /** The change_log entry holding the row's new values (absent for a DELETE). */
  change_id: z.number().int().positive().nullable().default(null),
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;

/** A change with its row's new values taken from the log; null for a DELETE or an entry no longer there. */
export type CapturedChange = ChangeEvent & { record: Record<string, unknown> | null };

export function parseChangeEvent(payload: string): ChangeEvent | null {
  try {
    const parsed = changeEventSchema.safeParse(JSON.parse(payload));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
