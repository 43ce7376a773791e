import { z } from "zod";
import { tableMetadataSchema } from "../shared/data/metadata.ts";
import { systemClock } from "../shared/platform/clock.ts";
import {
  objectiveConfigOf,
  runObjectiveSchema,
  runSpace,
  trialRecordOf,
} from "../shared/platform/optimization-study.ts";
import { modelKindSchema, type ModelKind } from "../shared/synth/models.ts";
import { checkpointEpochs, completedCurves } from "../shared/tuning/checkpoints.ts";
import { trialRecordSchema, type TrialRecord } from "../shared/tuning/trial.ts";
import { computeTrial, type TrialTask } from "./compute.ts";
import { createDeadline } from "./deadline.ts";
import { assertInOwnersFolder, datasetRowSchema, type ExecutionContext } from "./job-context.ts";
import { asJobError, notRetryable } from "./job-errors.ts";
import { createJobReporter } from "./job-reporter.ts";
import { runInWorker } from "./job-thread.ts";

/**
 * One optimisation trial (a row of optimization_trials claimed through the queue): download the run's
 * dataset from its owner's folder, then in a worker thread the trial evaluation of shared/tuning/trial.ts
 * on the run's seeded split, progress (epochs, losses) written to the trial row. The answer is what
 * complete_job records: the score, the measurements (value, feasible, pruned, fit_s, privacy ...) and the
 * duration; the claim loop then has the next trials proposed (training-runner/studies.ts).
 *
 * Pruning, as `synth optimize` does by default: the checkpoints follow from the run's stored space, and the
 * curves compared against are those of the run's trials that had succeeded when this one was claimed (their
 * metrics hold `intermediate`); this trial's curve goes into its own metrics for the trials after it. With
 * parallel trials each decision sees the trials finished by then, as Optuna's pruners do.
 */
const trialRowSchema = z.object({
  id: z.string().uuid(),
  run_id: z.string().uuid(),
  owner_id: z.string().uuid(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
const runRowSchema = z.object({
  id: z.string().uuid(),
  owner_id: z.string().uuid(),
  dataset_id: z.string().uuid().nullable(),
  model_type: modelKindSchema,
  seed: z.union([z.number(), z.string(), z.bigint()]).nullable(),
  objective: runObjectiveSchema,
  search_space: z.unknown(),
});

/** A finished trial of the same run, as its row holds it (params, score, metrics, proposal). */
export type StudyTrialRow = Parameters<typeof trialRecordOf>[0];

/** The task's pruning: the run's checkpoints and the curves of its completed trials (none: no pruning). */
export function trialPruning(
  model: ModelKind,
  storedSpace: unknown,
  finished: readonly StudyTrialRow[],
): { checkpoints: number[]; completed: [number, number][][] } | undefined {
  let checkpoints: number[];
  try {
    checkpoints = checkpointEpochs(model, runSpace(model, storedSpace, null));
  } catch {
    // The API validated the space when it created the run (and the proposer parsed it to propose this very
    // trial); a row without a readable one is measured unpruned rather than failed over an optimisation.
    return undefined;
  }
  if (checkpoints.length === 0) return undefined;
  const records = finished.flatMap((row) => {
    const parsed = trialRecordSchema.safeParse(trialRecordOf(row));
    return parsed.success ? [parsed.data] : [];
  });
  return { checkpoints, completed: completedCurves(records).map((c) => [...c.entries()]) };
}

export interface TrialResult {
  score: number | null;
  metrics: Omit<TrialRecord, "params" | "score">;
  duration_ms: number;
}

export async function executeTrial(
  rawTrial: unknown,
  rawRun: unknown,
  ctx: ExecutionContext & { studyTrials?: readonly StudyTrialRow[] },
): Promise<TrialResult> {
  const clock = ctx.clock ?? systemClock;
  const started = clock.monotonicMs();
  const trialId = (rawTrial as { id?: unknown } | null)?.id;
  const log = ctx.logger?.child({ job_id: trialId, kind: "optimization_trial" });
  const reporter = createJobReporter(ctx, clock, log);
  const deadline = createDeadline(ctx.limits.timeoutMs, ctx.signal, () => clock.monotonicMs());
  try {
    const trial = trialRowSchema.safeParse(rawTrial);
    const run = runRowSchema.safeParse(rawRun);
    if (!trial.success || !run.success || trial.data.run_id !== run.data.id) {
      throw notRetryable("VALIDATION_ERROR", "the job row is not a trial of an optimisation run", {
        issues: [...(trial.error?.issues ?? []), ...(run.error?.issues ?? [])].slice(0, 5),
      });
    }
    const dataset = datasetRowSchema.safeParse(ctx.datasetRow);
    if (!dataset.success || dataset.data.id !== run.data.dataset_id) {
      throw notRetryable("VALIDATION_ERROR", "the dataset row given is not the run's dataset", {
        dataset_id: run.data.dataset_id,
      });
    }
    const row = dataset.data;
    assertInOwnersFolder(row, trial.data.owner_id);
    const metadata = tableMetadataSchema.safeParse(row.column_metadata);
    reporter.report({ phase: "loading" });
    const bytes = await deadline.race(ctx.storage.download("datasets", row.storage_path));
    const objective = run.data.objective;
    const pruning = trialPruning(run.data.model_type, run.data.search_space, ctx.studyTrials ?? []);
    const task: TrialTask = {
      kind: "optimization_trial",
      bytes,
      fileName: row.storage_path.slice(row.storage_path.lastIndexOf("/") + 1),
      format: row.format,
      ...(metadata.success ? { metadata: metadata.data } : {}),
      model: run.data.model_type,
      params: trial.data.params,
      seed: run.data.seed === null ? 0 : Number(BigInt(run.data.seed) & 0xffffffffn),
      objective: objectiveConfigOf(objective),
      ...(objective.target !== undefined ? { target: objective.target } : {}),
      ...(ctx.backend ? { backend: ctx.backend } : {}),
      ...(ctx.fitThreads ? { fitThreads: ctx.fitThreads } : {}),
      ...(pruning ? { pruning } : {}),
      memoryBytes: ctx.limits.memoryBytes,
    };
    deadline.check();
    const record =
      ctx.compute === "inline"
        ? await deadline.race(computeTrial(task, { signal: deadline.signal, onProgress: reporter.report }))
        : await runInWorker(task, {
            signal: ctx.signal,
            onProgress: reporter.report,
            timeoutMs: deadline.remainingMs(),
            memoryBytes: ctx.limits.memoryBytes,
            ...(ctx.abortGraceMs !== undefined ? { abortGraceMs: ctx.abortGraceMs } : {}),
            ...(ctx.onWorker ? { onStart: ctx.onWorker } : {}),
          });
    deadline.check();
    const { params: _params, score, ...metrics } = record;
    log?.log("info", "trial measured", { score, feasible: record.feasible });
    return { score, metrics, duration_ms: Math.round(clock.monotonicMs() - started) };
  } catch (error) {
    const failure = asJobError(error);
    log?.log("warn", "trial failed", { code: failure.code, retryable: failure.details.retryable });
    throw failure;
  } finally {
    reporter.end();
    deadline.dispose();
  }
}
