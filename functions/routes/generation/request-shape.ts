import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import { jobProgressSchema } from "../../../shared/platform/job-progress.ts";
import { ARTIFACTS, jobResultPathsSchema, OUTPUT_FORMATS } from "../../../shared/platform/job-results.ts";
import { JOB_STATUSES, type Database } from "../../../shared/platform/schema.ts";
import { iso } from "../users/profile-shape.ts";

type Row = Selectable<Database["generation_requests"]>;

export const MODEL_TYPES = ["ctgan", "tvae", "gaussian_copula"] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);

const progressSchema = z
  .object({
    phase: z.string().nullable(),
    epoch: z.number().nullable(),
    epochs: z.number().nullable(),
    losses: z.record(z.string(), z.number()),
    eta_seconds: z.number().nullable(),
    elapsed_seconds: z.number().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi("GenerationProgress");

const downloadsSchema = z
  .object({
    formats: z.array(z.enum(OUTPUT_FORMATS)),
    artifacts: z.array(z.enum(ARTIFACTS)),
  })
  .openapi("GenerationDownloads");

export const generationRequestSchema = z
  .object({
    id: z.string().uuid(),
    dataset_id: z.string().uuid().nullable(),
    model_type: z.enum(MODEL_TYPES),
    model_config: z.record(z.string(), z.unknown()),
    optimization_config: z.record(z.string(), z.unknown()).nullable(),
    run_options: z.record(z.string(), z.unknown()),
    sample_size: z.number().int(),
    output_format: z.enum(OUTPUT_FORMATS),
    seed: z.number().int().nullable(),
    status: jobStatusSchema,
    cancel_requested: z.boolean(),
    /** null until the runner reports (or when what it wrote is not the documented shape). */
    progress: progressSchema.nullable(),
    /** The evaluation's summary, once the job succeeded. */
    quality_summary: z.record(z.string(), z.unknown()).nullable(),
    /** Why it failed, once it failed. */
    error: z.record(z.string(), z.unknown()).nullable(),
    /** What can be downloaded (GET /generation/download/{id}), once the job succeeded. */
    downloads: downloadsSchema.nullable(),
    attempts: z.number().int(),
    decision_reason: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    approved_at: z.string().nullable(),
    rejected_at: z.string().nullable(),
  })
  .openapi("GenerationRequest");
export type GenerationRequest = z.infer<typeof generationRequestSchema>;

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

export function toProgress(raw: unknown): GenerationRequest["progress"] {
  const parsed = jobProgressSchema.safeParse(raw ?? {});
  if (!parsed.success || Object.keys(parsed.data).length === 0) return null;
  const p = parsed.data;
  return {
    phase: p.phase ?? null,
    epoch: p.epoch ?? null,
    epochs: p.epochs ?? null,
    losses: p.losses ?? {},
    eta_seconds: p.eta_seconds ?? null,
    elapsed_seconds: p.elapsed_seconds ?? null,
    updated_at: p.updated_at ?? null,
  };
}

export function toDownloads(row: Pick<Row, "status" | "result_paths">): GenerationRequest["downloads"] {
  if (row.status !== "succeeded") return null;
  const parsed = jobResultPathsSchema.safeParse(row.result_paths);
  if (!parsed.success) return null;
  const r = parsed.data;
  return {
    formats: OUTPUT_FORMATS.filter((f) => r.data[f] !== undefined),
    artifacts: ARTIFACTS.filter((a) => (a === "data" ? Object.keys(r.data).length > 0 : r[a] !== undefined)),
  };
}

export function toGenerationRequest(row: Row): GenerationRequest {
  return {
    id: row.id,
    dataset_id: row.dataset_id,
    model_type: row.model_type,
    model_config: asRecord(row.model_config) ?? {},
    optimization_config: asRecord(row.optimization_config),
    run_options: asRecord(row.run_options) ?? {},
    sample_size: row.sample_size,
    output_format: row.output_format,
    seed: row.seed === null ? null : Number(row.seed),
    status: row.status,
    cancel_requested: row.cancel_requested,
    progress: toProgress(row.progress),
    quality_summary: row.status === "succeeded" ? asRecord(row.quality_summary) : null,
    error: row.status === "failed" ? asRecord(row.error) : null,
    downloads: toDownloads(row),
    attempts: row.attempts,
    decision_reason: row.decision_reason,
    created_at: iso(row.created_at) ?? "",
    updated_at: iso(row.updated_at) ?? "",
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    approved_at: iso(row.approved_at),
    rejected_at: iso(row.rejected_at),
  };
}
