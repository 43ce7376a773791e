import { sql, type Selectable } from "kysely";
import { z } from "zod";
import { ctganOptionsSchema } from "../synth/ctgan-options.ts";
import { tvaeOptionsSchema } from "../synth/tvae-options.ts";
import { copulaOptionsSchema } from "../synth/copula/gaussian-copula.ts";
import type { ModelKind } from "../synth/models.ts";
import { objectiveSchema } from "../tuning/objective.ts";
import { fromTrials, type Method, type TrialInput } from "../tuning/optimizer.ts";
import { modelConstraints, parseSpace, type Space, type SpaceInput } from "../tuning/space.ts";
import { studyResult, trainingRowsOf, type TrialRecord } from "../tuning/study-result.ts";
import type { Tx } from "./db.ts";
import type { Database } from "./schema.ts";

/**
 * A study on the platform (the design is in supabase/migrations/20261202004000_optimization_queue.sql):
 * the run row holds the settings, its trials are queue items, and proposeTrials() is the one proposer,
 * called by the API at start, by a runner after each trial and by the runners' sweep. Runtime-neutral.
 */
export type RunRow = Selectable<Database["optimization_runs"]>;
export type TrialRow = Selectable<Database["optimization_trials"]>;

/** optimization_runs.objective: how a trial is scored and whether it counts. */
export const runObjectiveSchema = z
  .object({
    kind: z.enum(["quality", "ml", "mix"]).default("quality"),
    weights: z.object({ quality: z.number().nonnegative(), ml: z.number().nonnegative() }).optional(),
    privacy_floor: z.number().min(0).max(1).optional(),
    target: z.string().min(1).optional(),
    cost_aware: z.boolean().optional(),
  })
  .strict();
export type RunObjective = z.infer<typeof runObjectiveSchema>;

/** shared/tuning's objective config of a run's objective column. */
export function objectiveConfigOf(o: RunObjective): z.input<typeof objectiveSchema> {
  return {
    kind: o.kind,
    ...(o.weights ? { weights: o.weights } : {}),
    ...(o.privacy_floor !== undefined ? { privacyFloor: o.privacy_floor } : {}),
    ...(o.cost_aware !== undefined ? { costAware: o.cost_aware } : {}),
  };
}

const OPTION_SCHEMAS = {
  ctgan: ctganOptionsSchema,
  tvae: tvaeOptionsSchema,
  gaussian_copula: copulaOptionsSchema,
} as const;

const integerKeys = new Map<ModelKind, Set<string>>();
/** The model's integer hyperparameters (a stored {min, max} range of one is an integer dimension). */
function integersOf(model: ModelKind): Set<string> {
  let keys = integerKeys.get(model);
  if (keys === undefined) {
    const json = z.toJSONSchema(OPTION_SCHEMAS[model], { io: "input" }) as {
      properties?: Record<string, { type?: string }>;
    };
    keys = new Set(
      Object.entries(json.properties ?? {})
        .filter(([, p]) => p.type === "integer")
        .map(([k]) => k),
    );
    integerKeys.set(model, keys);
  }
  return keys;
}

/**
 * optimization_runs.search_space is stored in the database's form (validate_search_space: per key a list of
 * values or a {min, max, log} range), which is unambiguous; shared/tuning's short form is not (`[50, 200]`
 * is a range there, two choices here). The API writes a parsed space in this form and the proposer reads it
 * back into typed dimensions.
 */
export function toStoredSpace(space: Space): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of space.dimensions) {
    out[d.name] = d.type === "categorical" ? d.values : { min: d.low, max: d.high, log: d.log };
  }
  return out;
}

export function fromStoredSpace(model: ModelKind, stored: unknown): SpaceInput {
  const out: SpaceInput = {};
  const ints = integersOf(model);
  for (const [name, v] of Object.entries((stored ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(v)) out[name] = { type: "categorical", values: v as (string | number | boolean)[] };
    else {
      const r = v as { min: number; max: number; log?: boolean };
      const isInt = ints.has(name) && Number.isInteger(r.min) && Number.isInteger(r.max);
      out[name] = { type: isInt ? "int" : "float", low: r.min, high: r.max, log: r.log ?? false };
    }
  }
  return out;
}

/** The run's space with its constraints (batch sizes within the training rows of the seeded split). */
export function runSpace(model: ModelKind, stored: unknown, datasetRows: number | null): Space {
  const rows = datasetRows === null ? Number.MAX_SAFE_INTEGER : trainingRowsOf(datasetRows);
  return parseSpace(fromStoredSpace(model, stored), modelConstraints(model, rows));
}

const trialMetricsSchema = z
  .object({
    value: z.number(),
    feasible: z.boolean(),
    pruned: z.boolean().default(false),
  })
  .loose();

/** A finished trial as a TrialRecord (the CLI's best.json shape); null while it has no measurements. */
export function trialRecordOf(
  row: Pick<TrialRow, "params" | "score" | "metrics" | "proposal">,
): TrialRecord | null {
  const m = trialMetricsSchema.safeParse(row.metrics);
  if (!m.success) return null;
  const proposal = row.proposal as TrialRecord["proposal"] | null;
  return {
    ...m.data,
    params: row.params as TrialRecord["params"],
    score: row.score,
    ...(proposal ? { proposal } : {}),
  };
}

/** What the optimiser knows of a trial: pending (value null), told, or failed (infeasible, so not retried). */
function trialInputOf(row: TrialRow): TrialInput {
  const proposal = (row.proposal ?? undefined) as TrialInput["proposal"];
  const base = { params: row.params as TrialInput["params"], ...(proposal ? { proposal } : {}) };
  if (row.status === "queued" || row.status === "running") return { ...base, value: null };
  const record = row.status === "succeeded" ? trialRecordOf(row) : null;
  if (record === null) return { ...base, value: 0, feasible: false };
  return { ...base, value: record.value, feasible: record.feasible, pruned: record.pruned };
}

const jsonb = (value: unknown) => sql<never>`cast(cast(${JSON.stringify(value)} as text) as jsonb)`;

const budgetSchema = z
  .object({ max_trials: z.number().int().positive(), max_wall_time_seconds: z.number().positive() })
  .loose();

export interface ProposeOutcome {
  /** The run's status after this call. */
  status: string;
  /** Trials queued by this call. */
  queued: number;
}

const PENDING = new Set(["queued", "running"]);

/**
 * The proposer. Under the run row's lock: records the best trial and the Pareto front so far, then tops up
 * the queued and running trials to `parallelism` within the budget (ask(n) with the constant liar), or
 * finishes the run when nothing is in flight and nothing is left to try (or its stop was asked for).
 * Must run as the service role (trials are written by runners only). Null: no such run.
 */
export async function proposeTrials(tx: Tx, runId: string): Promise<ProposeOutcome | null> {
  const run = await tx
    .selectFrom("optimization_runs")
    .selectAll()
    // A study that waited for approval counts its wall time from the decision, not from its creation.
    .select(
      sql<number>`extract(epoch from now() - coalesce(started_at, decided_at, created_at))`.as("elapsed_s"),
    )
    .where("id", "=", runId)
    .forUpdate()
    .executeTakeFirst();
  if (run === undefined) return null;
  if (run.status !== "queued" && run.status !== "running") return { status: run.status, queued: 0 };
  const trials = await tx
    .selectFrom("optimization_trials")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("trial_number")
    .execute();
  const pending = trials.filter((t) => PENDING.has(t.status)).length;
  const finished = trials.filter((t) => t.status === "succeeded");
  const scored = finished.flatMap((t) => {
    const r = trialRecordOf(t);
    return r ? [{ row: t, record: r }] : [];
  });
  const { best, pareto } = studyResult(scored.map((s) => s.record));
  const bestRow = best === null ? null : scored[best.index].row;
  const summary = {
    trials_completed: trials.filter((t) => !PENDING.has(t.status)).length,
    best_trial_id: bestRow?.id ?? null,
    best_params: bestRow === null ? null : jsonb(bestRow.params),
    best_score: bestRow?.score ?? null,
    pareto: jsonb(
      pareto.map(({ index, ...p }) => ({
        trial_id: scored[index].row.id,
        trial_number: scored[index].row.trial_number,
        ...p,
      })),
    ),
  };
  const finish = async (status: "succeeded" | "canceled" | "failed", error?: Record<string, unknown>) => {
    await tx
      .updateTable("optimization_runs")
      .set({ ...summary, status, ...(error ? { error: jsonb(error) } : {}) })
      .where("id", "=", runId)
      .execute();
    return { status, queued: 0 };
  };
  if (run.cancel_requested) {
    if (pending === 0) return finish("canceled");
    await tx.updateTable("optimization_runs").set(summary).where("id", "=", runId).execute();
    return { status: run.status, queued: 0 };
  }
  const budget = budgetSchema.parse(run.budget);
  const timeUp = Number(run.elapsed_s) >= budget.max_wall_time_seconds;
  const want = timeUp ? 0 : Math.min(run.parallelism - pending, budget.max_trials - trials.length);
  let queued = 0;
  if (want > 0) {
    const rows = await datasetRows(tx, run.dataset_id);
    const space = runSpace(run.model_type, run.search_space, rows);
    const known = trials.filter((t) => t.status !== "canceled");
    const seed = run.seed === null ? 0 : Number(run.seed);
    const optimizer = fromTrials(space, { method: run.method as Method, seed }, known.map(trialInputOf));
    const asked = optimizer.ask(want);
    const proposals = optimizer.trials().slice(known.length);
    if (asked.length > 0) {
      await tx
        .insertInto("optimization_trials")
        .values(
          asked.map((params, i) => ({
            run_id: runId,
            owner_id: run.owner_id,
            trial_number: trials.length + i,
            params: jsonb(params),
            proposal: jsonb(proposals[i]?.proposal ?? { by: run.method }),
          })),
        )
        .execute();
    }
    queued = asked.length;
  }
  if (pending === 0 && queued === 0) {
    // A run never claimed cannot go queued > succeeded (the status machine): its budget ran out first.
    if (run.status === "queued")
      return finish("failed", {
        code: "CONFLICT",
        message: "the budget was spent (or the space exhausted) before any trial ran",
      });
    return finish("succeeded");
  }
  await tx.updateTable("optimization_runs").set(summary).where("id", "=", runId).execute();
  return { status: run.status, queued };
}

/** A run's dataset's row count (null: unknown, or the dataset is gone), as the caller sees it. */
export async function datasetRows(tx: Tx, datasetId: string | null): Promise<number | null> {
  if (datasetId === null) return null;
  const row = await tx
    .selectFrom("datasets")
    .select("row_count")
    .where("id", "=", datasetId)
    .executeTakeFirst();
  return row?.row_count ?? null;
}

/** Active runs with no trial in flight: what a runner's sweep proposes for (or finishes). */
export async function idleRuns(tx: Tx, limit = 20): Promise<string[]> {
  const rows = await tx
    .selectFrom("optimization_runs as r")
    .select("r.id")
    .where("r.status", "in", ["queued", "running"])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("optimization_trials as t")
            .select("t.id")
            .whereRef("t.run_id", "=", "r.id")
            .where("t.status", "in", ["queued", "running"]),
        ),
      ),
    )
    .orderBy("r.updated_at")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
