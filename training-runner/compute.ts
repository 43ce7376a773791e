import type { FileFormat } from "../shared/data/formats.ts";
import { loadTable } from "../shared/data/load.ts";
import type { TableMetadata } from "../shared/data/metadata.ts";
import { rowCount, takeRows, type Table } from "../shared/data/table.ts";
import { sha256Hex, validateFile } from "../shared/data/validate-file.ts";
import { writeTable } from "../shared/data/write.ts";
import { synthError } from "../shared/errors.ts";
import { evaluate } from "../shared/metrics/evaluate.ts";
import { renderHtmlReport } from "../shared/metrics/html/render.ts";
import type { Report } from "../shared/metrics/report-schema.ts";
import type { JobProgress } from "../shared/platform/job-progress.ts";
import type { JobRunOptions } from "../shared/platform/job-options.ts";
import type { OutputFormatName } from "../shared/platform/job-results.ts";
import { createRng, permutation } from "../shared/random.ts";
import { encodeArtifact } from "../shared/synth/artifact.ts";
import type { EpochProgress } from "../shared/synth/matrix-model.ts";
import { isNeural, type ModelKind } from "../shared/synth/models.ts";
import type { PrivacyGuardReport } from "../shared/synth/privacy-guard.ts";
import { Synthesizer } from "../shared/synth/synthesizer.ts";
import type { ObjectiveConfig } from "../shared/tuning/objective.ts";
import type { Params } from "../shared/tuning/space.ts";
import { copyShareOf, runTrial, splitForTrials, type TrialRecord } from "../shared/tuning/trial.ts";
import { initNodeBackend } from "../cli/tf-backend.ts";
import type { FitThreads } from "./job-context.ts";
import { notRetryable } from "./job-errors.ts";
import { parallelFor } from "./fit-parallel.ts";
import { assertMemoryFits, categoricalLevels, estimateJob } from "./memory-estimate.ts";

/**
 * The compute of a job, free of storage and database: bytes in, bytes out. It runs in a worker thread
 * (job-thread.ts) so the runner's event loop keeps serving /health and renewing leases, or inline where
 * that does not matter. Progress leaves as events without elapsed time or timestamp: the main thread,
 * which knows when the job started, adds them.
 */
export type ComputeProgress = Omit<JobProgress, "elapsed_seconds" | "updated_at">;

export interface ComputeControl {
  signal?: AbortSignal;
  onProgress?: (progress: ComputeProgress) => void;
}

export interface GenerationJobSpec {
  id: string;
  model_type: ModelKind;
  model_config: Record<string, unknown>;
  sample_size: number;
  output_format: OutputFormatName;
  seed: number;
  run_options: JobRunOptions;
}

export interface GenerationTask {
  kind: "generation";
  bytes: Uint8Array;
  fileName: string;
  format: FileFormat;
  /** The dataset's column metadata (its own or the user's edits); absent: inferred again. */
  metadata?: TableMetadata;
  job: GenerationJobSpec;
  memoryBytes: number;
  backend?: "wasm" | "cpu";
  fitThreads?: FitThreads;
}

/** The headline numbers stored in generation_requests.quality_summary (the full report is in Storage). */
export interface QualitySummary {
  /** As in the report: `quality.allPairs.overall` is what /stats/dashboard averages. */
  quality: {
    allPairs: Report["quality"]["allPairs"];
    relatedPairs: Report["quality"]["relatedPairs"];
  };
  diagnostics: { overall: number | null; dataValidity: number | null; dataStructure: number };
  privacy: {
    medianDcr: number | null;
    copyShare: number;
    baselineProtection: number | null;
    overfittingProtection: number | null;
    uniqueRealRowShare: number | null;
    guard: Pick<PrivacyGuardReport, "status" | "minRowCount" | "resampled" | "dropped">;
  } | null;
  mlEfficacy: { target: string; metric: string; synthetic: number; real: number } | null;
  rows: { training: number; holdout: number; requested: number; synthetic: number };
  columns: number;
  model: { kind: ModelKind; epochs: number | null; backend: string | null };
  timings: { fitSeconds: number; sampleSeconds: number; evaluateSeconds: number };
  notes: string[];
}

export interface GenerationOutput {
  data: Partial<Record<OutputFormatName, Uint8Array>>;
  model: Uint8Array;
  report: Uint8Array;
  html: Uint8Array;
  /** run_options.include_metadata: the column metadata the model was fitted with, as JSON. */
  metadata?: Uint8Array;
  summary: QualitySummary;
}

export interface DatasetTask {
  kind: "dataset";
  bytes: Uint8Array;
  fileName: string;
  format: FileFormat;
}

export interface DatasetOutput {
  row_count: number;
  column_count: number;
  column_metadata: TableMetadata;
  profile: Record<string, unknown>;
  sha256: string;
  size_bytes: number;
}

/** One optimisation trial: the run's seeded split of the dataset, one point fitted and measured. */
export interface TrialTask {
  kind: "optimization_trial";
  bytes: Uint8Array;
  fileName: string;
  format: FileFormat;
  metadata?: TableMetadata;
  model: ModelKind;
  params: Params;
  /** The run's seed: the split, the model and the sample. */
  seed: number;
  objective: ObjectiveConfig;
  target?: string;
  backend?: "wasm" | "cpu";
  fitThreads?: FitThreads;
  /** The runner's memory for the job: data-parallel replicas are left out when they would not fit in it. */
  memoryBytes: number;
  /**
   * The study's checkpoint epochs and its completed trials' curves as [epoch, quality] pairs (plain arrays:
   * the task crosses to a worker thread); absent, the trial is never pruned.
   */
  pruning?: { checkpoints: number[]; completed: [number, number][][] };
}
export type TrialOutput = TrialRecord;

export type ComputeTask = GenerationTask | DatasetTask | TrialTask;
export type ComputeOutput = GenerationOutput | DatasetOutput | TrialOutput;

const utf8 = new TextEncoder();

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw notRetryable("ABORTED", "the job was cancelled");
}

/** The requested format, plus CSV (every tool reads it) when another was asked for. */
export function formatsToWrite(requested: OutputFormatName): OutputFormatName[] {
  return requested === "csv" ? ["csv"] : [requested, "csv"];
}

/** A seeded split: the same job on the same data keeps out the same rows on every attempt. */
export function splitHoldout(
  table: Table,
  fraction: number,
  seed: number,
): { train: Table; holdout: Table | null } {
  const n = rowCount(table);
  const h = Math.min(Math.round(n * fraction), n - 1);
  if (fraction <= 0 || h < 1) return { train: table, holdout: null };
  const order = permutation(n, createRng((seed ^ 0x6f1d) >>> 0));
  const holdout = Array.from(order.subarray(0, h)).sort((a, b) => a - b);
  const train = Array.from(order.subarray(h)).sort((a, b) => a - b);
  return { train: takeRows(table, train), holdout: takeRows(table, holdout) };
}

export function summarise(
  report: Report,
  guard: PrivacyGuardReport,
  facts: Pick<QualitySummary, "rows" | "columns" | "model" | "timings">,
): QualitySummary {
  const p = report.privacy;
  return {
    quality: { allPairs: report.quality.allPairs, relatedPairs: report.quality.relatedPairs },
    diagnostics: {
      overall: report.diagnostics.overall,
      dataValidity: report.diagnostics.dataValidity,
      dataStructure: report.diagnostics.dataStructure,
    },
    privacy:
      p === null
        ? null
        : {
            medianDcr: p.dcr.median,
            copyShare: p.copyShare,
            baselineProtection: p.baselineProtection.score,
            overfittingProtection: p.overfittingProtection?.score ?? null,
            uniqueRealRowShare: p.exactCopies?.uniqueRealRowShare ?? null,
            guard: {
              status: guard.status,
              minRowCount: guard.minRowCount,
              resampled: guard.resampled,
              dropped: guard.dropped,
            },
          },
    mlEfficacy:
      report.mlEfficacy === null
        ? null
        : {
            target: report.mlEfficacy.target,
            metric: report.mlEfficacy.metric,
            synthetic: report.mlEfficacy.synthetic,
            real: report.mlEfficacy.real,
          },
    ...facts,
    notes: report.notes.slice(0, 10),
  };
}

/** The job's table, with its stored column metadata when it has some. */
function loadTask(task: GenerationTask | TrialTask) {
  return loadTable(task.bytes, {
    fileName: task.fileName,
    format: task.format,
    ...(task.metadata ? { metadata: task.metadata } : {}),
  });
}

/** An epoch of the fit as training progress. */
function epochProgress(p: EpochProgress): ComputeProgress {
  return {
    phase: "training",
    epoch: p.epoch,
    epochs: p.epochs,
    losses: finiteLosses(p.losses),
    eta_seconds: Number.isFinite(p.etaMs) ? Math.max(0, p.etaMs / 1000) : null,
  };
}

export async function computeGeneration(
  task: GenerationTask,
  control: ComputeControl = {},
): Promise<GenerationOutput> {
  const { job } = task;
  const signal = control.signal;
  const progress = control.onProgress ?? (() => {});
  progress({ phase: "loading" });
  const loaded = await loadTask(task);
  throwIfAborted(signal);
  const holdoutFraction = job.run_options.evaluation?.holdout_fraction ?? 0;
  const { train, holdout } = splitHoldout(loaded.table, holdoutFraction, job.seed);
  const estimate = assertMemoryFits(
    {
      model: job.model_type,
      modelConfig: job.model_config,
      rows: rowCount(train),
      metadata: loaded.metadata,
      levels: categoricalLevels(train, loaded.metadata),
      sampleSize: job.sample_size,
    },
    task.memoryBytes,
  );
  // The neural models need a tfjs backend before any tensor exists (wasm SIMD, cpu if wasm cannot start).
  const backend = isNeural(job.model_type)
    ? await initNodeBackend({ backend: task.backend ?? "wasm" })
    : null;
  throwIfAborted(signal);
  progress({ phase: "training", epoch: 0, ...epochsOf(job), eta_seconds: null });
  const guardSetting = job.run_options.privacy_guard;
  const started = performance.now();
  const synth = await Synthesizer.fit(
    train,
    loaded.metadata,
    {
      model: job.model_type,
      modelConfig: job.model_config,
      seed: job.seed,
      ...(guardSetting
        ? { privacy: { guard: guardSetting.enabled, minRowCount: guardSetting.min_row_count } }
        : {}),
    },
    {
      signal,
      onEpoch: (p) => {
        if (isNeural(job.model_type)) progress(epochProgress(p));
      },
      ...parallelFor(task.fitThreads, estimate, task.memoryBytes),
    },
  );
  try {
    const fitSeconds = (performance.now() - started) / 1000;
    throwIfAborted(signal);
    progress({ phase: "sampling" });
    const t1 = performance.now();
    const { table: sample, privacy } = await synth.sampleWithReport(job.sample_size, {
      seed: job.seed,
      ...(job.run_options.conditions ? { conditions: job.run_options.conditions } : {}),
    });
    const sampleSeconds = (performance.now() - t1) / 1000;
    throwIfAborted(signal);
    progress({ phase: "evaluating" });
    const t2 = performance.now();
    const target = job.run_options.evaluation?.target_column;
    const report = evaluate(train, sample, synth.metadata, {
      seed: job.seed,
      privacyGuard: privacy,
      ...(holdout ? { holdout } : {}),
      ...(target ? { target } : {}),
    });
    const html = renderHtmlReport(report);
    const evaluateSeconds = (performance.now() - t2) / 1000;
    throwIfAborted(signal);
    const data: Partial<Record<OutputFormatName, Uint8Array>> = {};
    for (const format of formatsToWrite(job.output_format)) {
      data[format] = await writeTable(sample, synth.metadata, format);
    }
    const summary = summarise(report, privacy, {
      rows: {
        training: rowCount(train),
        holdout: holdout ? rowCount(holdout) : 0,
        requested: job.sample_size,
        synthetic: rowCount(sample),
      },
      columns: sample.columns.length,
      model: {
        kind: job.model_type,
        epochs: synth.stats?.epochs.at(-1)?.epoch ?? null,
        backend: backend === null ? null : `${backend.backend}${backend.simd ? "+simd" : ""}`,
      },
      timings: { fitSeconds, sampleSeconds, evaluateSeconds },
    });
    if (!isNeural(job.model_type)) summary.model.epochs = null;
    return {
      data,
      model: encodeArtifact(synth),
      report: utf8.encode(`${JSON.stringify(report, null, 2)}\n`),
      html: utf8.encode(html),
      ...(job.run_options.include_metadata
        ? { metadata: utf8.encode(`${JSON.stringify(synth.metadata, null, 2)}\n`) }
        : {}),
      summary,
    };
  } finally {
    synth.dispose();
  }
}

function epochsOf(job: GenerationJobSpec): { epochs?: number } {
  if (!isNeural(job.model_type)) return {};
  const e = job.model_config.epochs;
  return typeof e === "number" && Number.isInteger(e) && e > 0 ? { epochs: e } : { epochs: 300 };
}

/** JSON has no NaN: a diverged loss is left out rather than written as null into a number map. */
function finiteLosses(losses: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(losses).filter(([, v]) => Number.isFinite(v)));
}

/**
 * A dataset validation job: the API's inline validation (shared/data/validate-file.ts) on a file too big
 * for the API. A file that is not a table fails the job, not retryable, with the reader's row and column.
 */
export async function computeDataset(task: DatasetTask): Promise<DatasetOutput> {
  const outcome = await validateFile(task.bytes, task.fileName, task.format);
  if (outcome.status === "invalid") {
    const e = outcome.error;
    throw synthError(e.code as Parameters<typeof synthError>[0], e.message, {
      ...e.details,
      retryable: false,
    });
  }
  return {
    row_count: outcome.rowCount,
    column_count: outcome.columnCount,
    column_metadata: outcome.metadata,
    profile: outcome.profile as unknown as Record<string, unknown>,
    sha256: await sha256Hex(task.bytes),
    size_bytes: task.bytes.byteLength,
  };
}

/**
 * A trial: shared/tuning/trial.ts's evaluation (the one `synth optimize` runs), on the run's seeded split,
 * reporting the fit's epochs as progress.
 */
export async function computeTrial(task: TrialTask, control: ComputeControl = {}): Promise<TrialOutput> {
  const signal = control.signal;
  const progress = control.onProgress ?? (() => {});
  progress({ phase: "loading" });
  const loaded = await loadTask(task);
  throwIfAborted(signal);
  if (task.target !== undefined && !loaded.table.columns.includes(task.target)) {
    throw notRetryable("UNKNOWN_COLUMN", `the run's target ${task.target} is not a column`, {
      column: task.target,
    });
  }
  const { train, holdout } = splitForTrials(loaded.table, task.seed);
  if (isNeural(task.model)) await initNodeBackend({ backend: task.backend ?? "wasm" });
  throwIfAborted(signal);
  progress({ phase: "training", epoch: 0, eta_seconds: null });
  return runTrial(task.params, {
    model: task.model,
    seed: task.seed,
    objective: task.objective,
    ...(task.target !== undefined ? { target: task.target } : {}),
    train,
    holdout,
    metadata: loaded.metadata,
    realCopyShare: copyShareOf(train, holdout, loaded.metadata),
    ...(signal ? { signal } : {}),
    ...parallelFor(
      task.fitThreads,
      estimateJob({
        model: task.model,
        modelConfig: task.params,
        rows: rowCount(train),
        metadata: loaded.metadata,
        levels: categoricalLevels(train, loaded.metadata),
        sampleSize: rowCount(holdout),
      }),
      task.memoryBytes,
    ),
    onEpoch: (p) => progress(epochProgress(p)),
    ...(task.pruning
      ? {
          pruning: {
            checkpoints: task.pruning.checkpoints,
            completed: task.pruning.completed.map((pairs) => new Map(pairs)),
          },
        }
      : {}),
  });
}

export function runCompute(task: ComputeTask, control: ComputeControl = {}): Promise<ComputeOutput> {
  if (task.kind === "generation") return computeGeneration(task, control);
  if (task.kind === "optimization_trial") return computeTrial(task, control);
  return computeDataset(task);
}
