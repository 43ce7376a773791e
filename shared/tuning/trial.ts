import { isSynthError, synthError } from "../errors.ts";
import { createRng, permutation } from "../random.ts";
import { rowCount, takeRows, type Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { DcrIndex } from "../metrics/dcr.ts";
import { privacy } from "../metrics/privacy.ts";
import { qualityReport } from "../metrics/quality.ts";
import { mlEfficacy } from "../metrics/ml/ml-efficacy.ts";
import type { ModelKind } from "../synth/models.ts";
import type { ParallelFit } from "../synth/matrix-model.ts";
import { Synthesizer, type FitEpoch } from "../synth/synthesizer.ts";
import { transformerOptionsSchema } from "../synth/transformer/transformer.ts";
import { evaluateObjective, type ObjectiveConfig } from "./objective.ts";
import { studyPruningRule } from "./checkpoints.ts";
import { medianAtStep, shouldPrune, type Curve, type MedianRule } from "./pruning.ts";
import { toModelOptions, type Params } from "./space.ts";
import { HOLDOUT_SHARE, type TrialRecord } from "./study-result.ts";

export {
  HOLDOUT_SHARE,
  studyResult,
  trainingRowsOf,
  trialRecordSchema,
  type TrialRecord,
} from "./study-result.ts";

/**
 * One trial of a study, measured: the evaluation `synth optimize` runs in-process and the runner's trial
 * executor runs in a worker thread, the same function for both. A trial fits on a seeded 80% training
 * split, samples as many rows as the 20% holdout, scores the sample on the holdout (overall quality), and
 * measures ML efficacy (with a target) and the DCR privacy against the training rows; objective.ts decides
 * the score and feasibility.
 *
 * Pruning (with `pruning`): at the study's checkpoint epochs (checkpoints.ts) the model as it is mid-fit
 * (Synthesizer.fit's FitEpoch.sample) gives a holdout-sized sample with the trial's seed, scored by the
 * same holdout quality as the final score; the median rule (pruning.ts) against the completed trials'
 * curves at that epoch may stop the fit there. A pruned trial has no score (so it is neither the best nor
 * on the Pareto front), is infeasible, and tells the optimiser minus its last intermediate quality: the
 * Bayesian search still learns that the region is poor (an infeasible value counts as no better than the
 * worst feasible one there, so a half-trained model never outranks a finished one). Optuna's samplers ignore
 * pruned trials' values; skopt users commonly tell them, which is what a GP needs to move away. A trial that
 * is not pruned is the very trial it would have been without checkpoints: the mid-fit samples draw from
 * their own Rng and touch no weight, and their time is kept out of `fit_s` and `fit_cpu_s` (recorded as
 * `checkpoint_s`).
 */
/** A seeded split: the first 80% of a permutation trains, the rest is the holdout. */
export function splitForTrials(table: Table, seed: number): { train: Table; holdout: Table } {
  const n = rowCount(table);
  const order = permutation(n, createRng(seed));
  const cut = Math.round(n * (1 - HOLDOUT_SHARE));
  if (cut < 2 || n - cut < 2)
    throw synthError(
      "VALIDATION_ERROR",
      `the table has too few rows (${n}) for a training and a holdout split`,
    );
  return { train: takeRows(table, order.subarray(0, cut)), holdout: takeRows(table, order.subarray(cut)) };
}

/** The share of `rows` that copy a row of `reference`; undefined when the tables cannot be compared. */
export function copyShareOf(reference: Table, rows: Table, metadata: TableMetadata): number | undefined {
  try {
    const copies = new DcrIndex(reference, metadata).copies(rows);
    let n = 0;
    for (const c of copies) n += c;
    return copies.length ? n / copies.length : 0;
  } catch (error) {
    if (isSynthError(error) && error.code === "INCOMPATIBLE_TABLES") return undefined;
    throw error;
  }
}

const TRANSFORMER_KEYS = new Set(Object.keys(transformerOptionsSchema.shape));

/** A point's options split into the model's hyperparameters and the transformer's options. */
export function splitModelOptions(options: Record<string, unknown>): {
  modelConfig: Record<string, unknown>;
  transformer: Record<string, unknown>;
} {
  const out = { modelConfig: {} as Record<string, unknown>, transformer: {} as Record<string, unknown> };
  for (const [k, v] of Object.entries(options))
    (TRANSFORMER_KEYS.has(k) ? out.transformer : out.modelConfig)[k] = v;
  return out;
}

export interface TrialSetup {
  model: ModelKind;
  seed: number;
  objective: ObjectiveConfig;
  target?: string;
  train: Table;
  holdout: Table;
  metadata: TableMetadata;
  /** copyShareOf(train, holdout): the data's own rate of duplicates (undefined: no privacy measured). */
  realCopyShare: number | undefined;
  signal?: AbortSignal;
  onEpoch?: (progress: FitEpoch) => void;
  /**
   * The process's CPU seconds so far (user + system), when the caller can read them: the fit's CPU cost is
   * then recorded beside its wall time as `fit_cpu_s`, which a loaded machine barely changes. Injected
   * because shared/ has no process; omitted where the count would not be the trial's own (runners share a
   * process and Node 20 has no per-thread CPU clock).
   */
  cpuSeconds?: () => number;
  /** Measure the quality at checkpoints and stop a hopeless fit (absent: no checkpoint, never pruned). */
  pruning?: TrialPruning;
  /** Data-parallel fit over threads (FitControl.parallel); one thread when absent. */
  parallel?: ParallelFit;
}

export interface TrialPruning {
  /** The study's checkpoint epochs (checkpoints.ts checkpointEpochs). */
  checkpoints: readonly number[];
  /** The curves of the study's completed trials (checkpoints.ts completedCurves). */
  completed: readonly Curve[];
  /** checkpoints.ts studyPruningRule(checkpoints) when absent. */
  rule?: MedianRule;
}

type IntermediatePoint = { epoch: number; quality: number };

/** Thrown from the epoch callback to stop a fit the median rule prunes; runTrial turns it into a record. */
class TrialPruned extends Error {
  constructor(
    readonly epoch: number,
    readonly epochs: number,
    readonly quality: number,
    readonly median: number,
    readonly count: number,
  ) {
    super(`pruned at epoch ${epoch}`);
  }
}

/** The score every trial is judged on: the holdout report's overall quality (0 when it has none). */
function holdoutQuality(c: TrialSetup, sample: Table): number {
  return qualityReport(c.holdout, sample, c.metadata, { seed: c.seed }).allPairs.overall ?? 0;
}

/** Fit, sample, measure, score one point. A fit the model refuses is an infeasible trial, not an error. */
export async function runTrial(params: Params, c: TrialSetup): Promise<TrialRecord> {
  const options = toModelOptions(c.model, params);
  const { modelConfig, transformer } = splitModelOptions(options);
  const t0 = performance.now();
  const pruning = c.pruning;
  const checkpoints = new Set(pruning?.checkpoints ?? []);
  const curve: IntermediatePoint[] = [];
  let checkpointMs = 0;
  let checkpointCpu = 0;
  // Without a CPU clock the counts are kept at 0 and no fit_cpu_s is recorded.
  const cpuNow = c.cpuSeconds ?? (() => 0);
  const cpu0 = cpuNow();
  const onEpoch = async (p: FitEpoch): Promise<void> => {
    c.onEpoch?.(p);
    // The last epoch's checkpoint is the final sample itself (same model, same seed): measured once, below.
    if (pruning === undefined || !checkpoints.has(p.epoch) || p.epoch >= p.epochs || !p.sample) return;
    const started = performance.now();
    const cpuStarted = cpuNow();
    const quality = holdoutQuality(c, await p.sample(rowCount(c.holdout), c.seed));
    curve.push({ epoch: p.epoch, quality });
    const prune = shouldPrune(
      quality,
      p.epoch,
      pruning.completed,
      pruning.rule ?? studyPruningRule(pruning.checkpoints),
    );
    checkpointMs += performance.now() - started;
    checkpointCpu += cpuNow() - cpuStarted;
    if (prune) {
      const at = medianAtStep(p.epoch, pruning.completed) as { median: number; count: number };
      throw new TrialPruned(p.epoch, p.epochs, quality, at.median, at.count);
    }
  };
  const fitTime = () => (performance.now() - t0 - checkpointMs) / 1000;
  const fitCpu = () => (c.cpuSeconds === undefined ? {} : { fit_cpu_s: cpuNow() - cpu0 - checkpointCpu });
  const measured = () =>
    pruning === undefined ? {} : { checkpoint_s: checkpointMs / 1000, intermediate: curve };
  let synth: Synthesizer;
  try {
    synth = await Synthesizer.fit(
      c.train,
      c.metadata,
      { model: c.model, modelConfig, transformer, seed: c.seed },
      { ...(c.signal ? { signal: c.signal } : {}), ...(c.parallel ? { parallel: c.parallel } : {}), onEpoch },
    );
  } catch (error) {
    if (error instanceof TrialPruned) {
      return {
        params,
        model_options: options,
        score: null,
        value: -error.quality,
        feasible: false,
        reasons: [
          `pruned at epoch ${error.epoch} of ${error.epochs}: holdout quality ${error.quality} below the median ${error.median} of ${error.count} completed trials`,
        ],
        pruned: true,
        fit_s: fitTime(),
        ...fitCpu(),
        epochs_trained: error.epoch,
        privacy: null,
        ...measured(),
      };
    }
    if (!isSynthError(error) || error.code === "ABORTED") throw error;
    return {
      params,
      model_options: options,
      score: null,
      value: 0,
      feasible: false,
      reasons: [`fit failed: ${error.code}: ${error.message}`],
      pruned: false,
      fit_s: fitTime(),
      ...fitCpu(),
      privacy: null,
    };
  }
  const fitSeconds = fitTime();
  const fitCpuSeconds = fitCpu();
  let sample: Table;
  try {
    ({ table: sample } = await synth.sampleWithReport(rowCount(c.holdout), { seed: c.seed }));
  } finally {
    synth.dispose();
  }
  const quality = holdoutQuality(c, sample);
  const lastEpoch = synth.stats?.epochs.at(-1)?.epoch;
  if (pruning !== undefined && lastEpoch !== undefined && checkpoints.has(lastEpoch))
    curve.push({ epoch: lastEpoch, quality });
  let baseline: number | undefined;
  let copyShare: number | undefined;
  if (c.realCopyShare !== undefined) {
    const p = privacy(c.train, sample, c.metadata, { rng: createRng(c.seed) });
    baseline = p.baselineProtection.score ?? undefined;
    copyShare = p.copyShare;
  }
  let ml: number | undefined;
  let mlDetail: Record<string, unknown> | null = null;
  if (c.target !== undefined) {
    const m = mlEfficacy(c.train, sample, c.holdout, c.metadata, c.target, createRng(c.seed));
    // Synthetic-trained over real-trained (objective.ts); a real score at or below 0 (an r2) leaves no ratio.
    ml = m.real > 0 ? m.synthetic / m.real : m.synthetic;
    mlDetail = { metric: m.metric, synthetic: m.synthetic, real: m.real, efficacy: ml };
  }
  const objective = evaluateObjective(
    {
      quality,
      ...(ml !== undefined ? { ml } : {}),
      ...(baseline !== undefined ? { dcrBaselineProtection: baseline } : {}),
      ...(copyShare !== undefined ? { copyShare } : {}),
      ...(c.realCopyShare !== undefined ? { realCopyShare: c.realCopyShare } : {}),
      fitSeconds,
    },
    c.objective,
  );
  return {
    params,
    model_options: options,
    score: objective.score,
    value: objective.value,
    feasible: objective.feasible,
    reasons: objective.reasons,
    pruned: false,
    fit_s: fitSeconds,
    ...fitCpuSeconds,
    ...measured(),
    quality,
    ml_efficacy: mlDetail,
    privacy:
      c.realCopyShare === undefined
        ? null
        : {
            dcr_baseline_protection: baseline ?? null,
            copy_share: copyShare,
            real_copy_share: c.realCopyShare,
          },
  };
}
