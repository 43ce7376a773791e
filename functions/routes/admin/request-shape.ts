import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import { JOB_STATUSES, type Database } from "../../../shared/platform/schema.ts";
import { iso } from "../users/profile-shape.ts";

/** A generation request as administrators review it: whose, on what, asking for what, and the decision. */
export const adminRequestSchema = z
  .object({
    id: z.string().uuid(),
    owner_id: z.string().uuid(),
    dataset_id: z.string().uuid().nullable(),
    model_type: z.string(),
    model_config: z.record(z.string(), z.unknown()),
    sample_size: z.number().int(),
    output_format: z.string(),
    status: z.enum(JOB_STATUSES),
    approved_by: z.string().uuid().nullable(),
    approved_at: z.string().nullable(),
    rejected_by: z.string().uuid().nullable(),
    rejected_at: z.string().nullable(),
    decision_reason: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("AdminGenerationRequest");
export type AdminRequest = z.infer<typeof adminRequestSchema>;

export function toAdminRequest(row: Selectable<Database["generation_requests"]>): AdminRequest {
  return {
    id: row.id,
    owner_id: row.owner_id,
    dataset_id: row.dataset_id,
    model_type: row.model_type,
    model_config: (row.model_config ?? {}) as Record<string, unknown>,
    sample_size: row.sample_size,
    output_format: row.output_format,
    status: row.status,
    approved_by: row.approved_by,
    approved_at: iso(row.approved_at),
    rejected_by: row.rejected_by,
    rejected_at: iso(row.rejected_at),
    decision_reason: row.decision_reason,
    created_at: iso(row.created_at) ?? "",
    finished_at: iso(row.finished_at),
  };
}
