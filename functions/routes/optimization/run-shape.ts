import { z } from "@hono/zod-openapi";
import type { Selectable } from "kysely";
import { notFound } from "../../../shared/errors.ts";
import type { Tx } from "../../../shared/platform/db.ts";
import { trialRecordOf } from "../../../shared/platform/optimization-study.ts";
import { JOB_STATUSES, type Database } from "../../../shared/platform/schema.ts";
import { toModelOptions, type Params } from "../../../shared/tuning/space.ts";
import { MODEL_TYPES, toProgress } from "../generation/request-shape.ts";
import { iso } from "../users/profile-shape.ts";

type RunRow = Selectable<Database["optimization_runs"]>;
type TrialRow = Selectable<Database["optimization_trials"]>;

const levelSchema = z.union([z.string(), z.number(), z.boolean()]);
const paramsSchema = z.record(z.string(), levelSchema);

export const runSummarySchema = z
  .object({
    id: z.string().uuid(),
    dataset_id: z.string().uuid().nullable(),
    model_type: z.enum(MODEL_TYPES),
    method: z.enum(["grid", "random", "bayesian"]),
    status: z.enum(JOB_STATUSES),
    cancel_requested: z.boolean(),
    budget: z.record(z.string(), z.unknown()),
    objective: z.record(z.string(), z.unknown()),
    parallelism: z.number().int(),
    seed: z.number().int().nullable(),
    trials_completed: z.number().int(),
    best_trial_id: z.string().uuid().nullable(),
    best_score: z.number().nullable(),
    error: z.record(z.string(), z.unknown()).nullable(),
    /** Who approved or rejected a study that waited for approval, when and why; null otherwise. */
    decided_by: z.string().uuid().nullable(),
    decided_at: z.string().nullable(),
    decision_reason: z.string().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("OptimizationRun");

const intermediatePointSchema = z.object({ epoch: z.number().int(), quality: z.number() });

export const trialSchema = z
  .object({
    id: z.string().uuid(),
    trial_number: z.number().int(),
    status: z.enum(["queued", "running", "succeeded", "failed", "canceled"]),
    params: paramsSchema,
    /** Null until measured, and for a trial whose fit the model refused. */
    score: z.number().nullable(),
    feasible: z.boolean().nullable(),
    pruned: z.boolean().nullable(),
    fit_s: z.number().nullable(),
    quality: z.number().nullable(),
    /** Holdout quality at the run's checkpoint epochs (what the median rule prunes on); [] when unmeasured. */
    intermediate: z.array(intermediatePointSchema),
    /** Epochs a pruned trial trained before it was stopped; null otherwise. */
    epochs_trained: z.number().int().nullable(),
    privacy: z.record(z.string(), z.unknown()).nullable(),
    ml_efficacy: z.record(z.string(), z.unknown()).nullable(),
    /** Why an infeasible trial does not count (privacy floor, copies, a refused fit). */
    reasons: z.array(z.string()),
    proposed_by: z.string().nullable(),
    runner_id: z.string().nullable(),
    attempts: z.number().int(),
    progress: z
      .object({ phase: z.string().nullable(), epoch: z.number().nullable(), epochs: z.number().nullable() })
      .nullable(),
    duration_ms: z.number().int().nullable(),
    error: z.record(z.string(), z.unknown()).nullable(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("OptimizationTrial");

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function toRunSummary(row: RunRow): z.infer<typeof runSummarySchema> {
  return {
    id: row.id,
    dataset_id: row.dataset_id,
    model_type: row.model_type,
    method: row.method,
    status: row.status,
    cancel_requested: row.cancel_requested,
    budget: asRecord(row.budget) ?? {},
    objective: asRecord(row.objective) ?? {},
    parallelism: row.parallelism,
    seed: row.seed === null ? null : Number(row.seed),
    trials_completed: row.trials_completed,
    best_trial_id: row.best_trial_id,
    best_score: row.best_score,
    error: row.status === "failed" ? asRecord(row.error) : null,
    decided_by: row.decided_by,
    decided_at: iso(row.decided_at),
    decision_reason: row.decision_reason,
    created_at: iso(row.created_at) ?? "",
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

export function toTrial(row: TrialRow): z.infer<typeof trialSchema> {
  const record = row.status === "succeeded" ? trialRecordOf(row) : null;
  const m = asRecord(row.metrics) ?? {};
  const progress = row.status === "running" ? toProgress(row.progress) : null;
  return {
    id: row.id,
    trial_number: row.trial_number,
    status: row.status,
    params: row.params as Params,
    score: row.score,
    feasible: record?.feasible ?? (row.status === "failed" ? false : null),
    pruned: record?.pruned ?? null,
    fit_s: num(m.fit_s),
    quality: num(m.quality),
    intermediate: z
      .array(intermediatePointSchema)
      .catch([])
      .parse(m.intermediate ?? []),
    epochs_trained: record?.pruned === true ? num(m.epochs_trained) : null,
    privacy: asRecord(m.privacy),
    ml_efficacy: asRecord(m.ml_efficacy),
    reasons: Array.isArray(m.reasons) ? m.reasons.filter((r): r is string => typeof r === "string") : [],
    proposed_by:
      typeof asRecord(row.proposal)?.by === "string" ? (asRecord(row.proposal)?.by as string) : null,
    runner_id: typeof m.runner_id === "string" ? m.runner_id : null,
    attempts: row.attempts,
    progress:
      progress === null ? null : { phase: progress.phase, epoch: progress.epoch, epochs: progress.epochs },
    duration_ms: row.duration_ms,
    error: row.status === "failed" ? asRecord(row.error) : null,
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

export const paretoEntrySchema = z
  .object({
    trial_id: z.string().uuid(),
    trial_number: z.number().int(),
    params: paramsSchema,
    score: z.number().nullable(),
    fit_s: z.number().nullable(),
    privacy: z.record(z.string(), z.unknown()).nullable(),
    feasible: z.boolean(),
  })
  .openapi("OptimizationParetoEntry");

export const bestSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(JOB_STATUSES),
    /** True once the run has finished (succeeded, failed or canceled): the best is then final. */
    final: z.boolean(),
    trials_completed: z.number().int(),
    best: z
      .object({
        trial_id: z.string().uuid(),
        trial_number: z.number().int(),
        params: paramsSchema,
        score: z.number().nullable(),
        /** The model's hyperparameters for the params (`learning_rate` expanded to the model's rates). */
        model_config: z.record(z.string(), z.unknown()),
      })
      .nullable(),
    pareto: z.array(paretoEntrySchema),
    /** A body for POST /generation/start with the best configuration (null while there is no best). */
    generation_request: z
      .object({
        dataset_id: z.string().uuid(),
        sample_size: z.number().int(),
        model_config: z.record(z.string(), z.unknown()),
        output_format: z.literal("csv"),
        seed: z.number().int().optional(),
      })
      .nullable(),
  })
  .openapi("OptimizationBest");

/** The run as the caller sees it (RLS: owner or admin), or 404. */
export async function loadRun(tx: Tx, id: string): Promise<RunRow> {
  const row = await tx.selectFrom("optimization_runs").selectAll().where("id", "=", id).executeTakeFirst();
  if (row === undefined) throw notFound("optimization run", { id });
  return row;
}

export async function loadTrials(tx: Tx, runId: string): Promise<TrialRow[]> {
  return tx
    .selectFrom("optimization_trials")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("trial_number")
    .execute();
}

const FINAL = new Set(["succeeded", "failed", "canceled", "rejected"]);

export function toBest(
  run: RunRow,
  bestTrial: TrialRow | undefined,
  datasetRows: number | null,
): z.infer<typeof bestSchema> {
  const pareto = z.array(paretoEntrySchema).safeParse(run.pareto ?? []);
  const best =
    bestTrial === undefined
      ? null
      : {
          trial_id: bestTrial.id,
          trial_number: bestTrial.trial_number,
          params: bestTrial.params as Params,
          score: bestTrial.score,
          model_config: toModelOptions(run.model_type, bestTrial.params as Params),
        };
  return {
    id: run.id,
    status: run.status,
    final: FINAL.has(run.status),
    trials_completed: run.trials_completed,
    best,
    pareto: pareto.success ? pareto.data : [],
    generation_request:
      best === null || run.dataset_id === null
        ? null
        : {
            dataset_id: run.dataset_id,
            sample_size: datasetRows ?? 1000,
            model_config: { model_type: run.model_type, ...best.model_config },
            output_format: "csv" as const,
            ...(run.seed === null ? {} : { seed: Number(run.seed) }),
          },
  };
}
