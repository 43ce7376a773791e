import { sql } from "kysely";
import { synthError } from "../shared/errors.ts";
import { asServiceRole, type Db } from "../shared/platform/db.ts";
import type { JobKind } from "./config.ts";
import { executeDatasetValidation } from "./execute-dataset.ts";
import { executeGeneration } from "./execute-generation.ts";
import { executeTrial, type StudyTrialRow } from "./execute-trial.ts";
import type { ExecutionContext as ClaimContext, JobExecutor } from "./execution.ts";
import type { DatasetRow, FitThreads } from "./job-context.ts";
import type { ClaimedJob, Json } from "./queue.ts";

const SCOPE = "training-runner: load a claimed job";

async function loadRow(
  db: Db,
  table: "generation_requests" | "datasets" | "optimization_trials" | "optimization_runs",
  id: string,
): Promise<Record<string, unknown> | null> {
  const { rows } = await asServiceRole(db, SCOPE, (tx) =>
    sql<
      Record<string, unknown>
    >`select * from ${sql.table(`public.${table}`)} where id = ${id}::uuid`.execute(tx),
  );
  return rows[0] ?? null;
}

async function loadDataset(db: Db, id: unknown, ownerId: string): Promise<DatasetRow> {
  const row = typeof id === "string" ? await loadRow(db, "datasets", id) : null;
  // Deleted datasets take their requests with them (on delete cascade), but a request can outlive the
  // check between its claim and this read; and a row of another owner is never used.
  if (row === null || row.owner_id !== ownerId) {
    throw synthError("NOT_FOUND", "the job's dataset no longer exists", {
      dataset_id: id ?? null,
      retryable: false,
    });
  }
  return row as unknown as DatasetRow;
}

/** The run's other succeeded trials, in order: their metrics carry the curves pruning compares against. */
async function finishedTrials(db: Db, runId: string, trialId: string): Promise<StudyTrialRow[]> {
  const { rows } = await asServiceRole(db, SCOPE, (tx) =>
    sql<StudyTrialRow>`select params, score, metrics, proposal from public.optimization_trials
      where run_id = ${runId}::uuid and status = 'succeeded' and id <> ${trialId}::uuid
      order by trial_number`.execute(tx),
  );
  return rows;
}

function common(claim: ClaimContext, options: ExecutorOptions) {
  return {
    ...(options.fitThreads ? { fitThreads: options.fitThreads } : {}),
    storage: claim.storage.asServiceRole("training-runner: job input and results"),
    signal: claim.signal,
    reportProgress: (progress: Record<string, unknown>) => claim.progress(progress as Record<string, Json>),
    limits: { memoryBytes: claim.memoryMb * 2 ** 20 },
    clock: claim.clock,
    logger: claim.logger,
  };
}

export interface ExecutorOptions {
  /** Training threads per fit; one thread when absent. */
  fitThreads?: FitThreads;
}

/** The executors `synth runner` uses: each loads its row with the service role and runs the job. */
export function defaultExecutors(options: ExecutorOptions = {}): Record<JobKind, JobExecutor> {
  return {
    generation: async (job: ClaimedJob, claim: ClaimContext) => {
      const row = await loadRow(claim.db, "generation_requests", job.job_id);
      if (row === null)
        throw synthError("NOT_FOUND", "the generation request no longer exists", { retryable: false });
      const datasetRow = await loadDataset(claim.db, row.dataset_id, job.owner_id);
      const result = await executeGeneration(row as never, { ...common(claim, options), datasetRow });
      return JSON.parse(JSON.stringify(result)) as Record<string, Json>;
    },
    optimization_trial: async (job: ClaimedJob, claim: ClaimContext) => {
      const trial = await loadRow(claim.db, "optimization_trials", job.job_id);
      const run = trial === null ? null : await loadRow(claim.db, "optimization_runs", String(trial.run_id));
      if (trial === null || run === null)
        throw synthError("NOT_FOUND", "the trial or its run no longer exists", { retryable: false });
      const datasetRow = await loadDataset(claim.db, run.dataset_id, job.owner_id);
      const studyTrials = await finishedTrials(claim.db, String(run.id), job.job_id);
      const result = await executeTrial(trial, run, { ...common(claim, options), datasetRow, studyTrials });
      return JSON.parse(JSON.stringify(result)) as Record<string, Json>;
    },
    dataset: async (job: ClaimedJob, claim: ClaimContext) => {
      const datasetRow = await loadDataset(claim.db, job.job_id, job.owner_id);
      const result = await executeDatasetValidation(datasetRow, common(claim, options));
      return JSON.parse(JSON.stringify(result)) as Record<string, Json>;
    },
  };
}
