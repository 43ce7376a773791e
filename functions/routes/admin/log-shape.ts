import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import type { Database } from "../../../shared/platform/schema.ts";
import { iso } from "../users/profile-shape.ts";

export const adminLogSchema = z
  .object({
    id: z.number().int(),
    admin_id: z.string().uuid().nullable(),
    action: z.string().openapi({ example: "approve_generation" }),
    target_table: z.string().nullable(),
    target_id: z.string().nullable(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  })
  .openapi("AdminActionLog");
export type AdminLog = z.infer<typeof adminLogSchema>;

export function toAdminLog(row: Selectable<Database["admin_action_logs"]>): AdminLog {
  return {
    id: Number(row.id),
    admin_id: row.admin_id,
    action: row.action,
    target_table: row.target_table,
    target_id: row.target_id,
    reason: row.reason,
    details: (row.details ?? {}) as Record<string, unknown>,
    created_at: iso(row.created_at) ?? "",
  };
}
