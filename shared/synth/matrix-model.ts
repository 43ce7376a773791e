import type { ReplicaSpawner } from "./nn/data-parallel.ts";
import type { Rng } from "../random.ts";

/**
 * The contract between the reversible transformer (transformer/) and the neural models (ctgan.ts, tvae.ts).
 * The transformer turns a table into a dense matrix whose columns are grouped into spans, exactly as the
 * reference's DataTransformer output_info: a continuous column becomes [tanh span of 1 (the normalised
 * scalar), softmax span of k (its mixture component)], a discrete column one softmax span of its levels.
 */
export interface OutputSpan {
  dim: number;
  activation: "tanh" | "softmax";
}

export interface ColumnTransformInfo {
  column: string;
  kind: "continuous" | "discrete";
  spans: OutputSpan[];
}

export interface TrainingMatrix {
  /** Row-major rows x width. */
  data: Float32Array;
  rows: number;
  width: number;
  columns: ColumnTransformInfo[];
}

export interface EpochProgress {
  epoch: number;
  epochs: number;
  /** Named losses of this epoch (e.g. generator, discriminator; loss for TVAE). */
  losses: Record<string, number>;
  elapsedMs: number;
  etaMs: number;
}

export interface MatrixFitOptions {
  rng: Rng;
  onEpoch?: (progress: EpochProgress) => void | Promise<void>;
  /** Stops training within one epoch; fit then rejects with SynthError ABORTED. */
  signal?: AbortSignal;
  /** Training stops early (keeping the model) once this much wall time has passed. */
  timeBudgetMs?: number;
  /** Monotonic clock in ms for the time budget and progress; injectable so tests do not depend on load. */
  now?: () => number;
  /** Data-parallel steps over this many threads (nn/data-parallel.ts); neural models only, 1 when absent. */
  parallel?: ParallelFit;
}

/** How a fit uses more than one thread: the count (the main thread included) and how replicas start. */
export interface ParallelFit {
  threads: number;
  spawn: ReplicaSpawner;
  /**
   * A fit smaller than this (epochs x rows per epoch x transformed width) runs on one thread: starting a
   * replica costs seconds, more than a small fit can win back.
   */
  minCells?: number;
  /**
   * A fit with fewer rows per epoch than this runs on one thread: with few steps per epoch the shares'
   * gradients cost nearly what the whole batch's does (see nn/data-parallel.ts), so a replica only adds work.
   */
  minRowsPerEpoch?: number;
  /**
   * Selects the intra-op threads (XNNPACK's pool inside one tfjs backend) for the fit about to start and
   * returns the count in effect; absent where the runtime has no threaded backend. A fit that stays on one
   * data-parallel thread may ask for `threads` of them here instead (the model decides; see ctgan.ts).
   * Node's `--threads auto` does not offer it (cli/fit-replica.ts says why); the bench measures it.
   */
  intraOp?: (threads: number) => Promise<number>;
  /** A fit smaller than this (cells as for minCells) takes no intra-op threads: starting the pool costs too. */
  minIntraOpCells?: number;
}

/** The size of a fit, as the thread choice sees it. */
export interface FitSize {
  epochs: number;
  rowsPerEpoch: number;
  width: number;
}

/** Cells of a fit, as minCells counts them. */
export const fitCells = (size: FitSize): number => size.epochs * size.rowsPerEpoch * size.width;

/** The threads a fit of this size uses under `parallel`, at most `cap`. */
export function fitThreadCount(parallel: ParallelFit | undefined, size: FitSize, cap: number): number {
  if (parallel === undefined) return 1;
  if (fitCells(size) < (parallel.minCells ?? 0)) return 1;
  if (size.rowsPerEpoch < (parallel.minRowsPerEpoch ?? 0)) return 1;
  return Math.max(1, Math.min(parallel.threads, cap));
}

/** A fixed value of one discrete column, for conditional sampling (CTGAN conditions its generator on it). */
export interface MatrixCondition {
  /** Index into TrainingMatrix.columns of a discrete column. */
  columnIndex: number;
  /** Index of the level inside that column's softmax span. */
  level: number;
}

/** Serialisable weights: no executable content, just named float arrays. */
export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface MatrixModelState {
  kind: "ctgan" | "tvae";
  /** The validated hyperparameters. */
  config: Record<string, unknown>;
  /** What the model was fitted on (spans), so a loaded model needs no data. */
  columns: ColumnTransformInfo[];
  /** Anything else the model needs to sample (e.g. CTGAN's conditional-vector frequencies). */
  extra: Record<string, unknown>;
  weights: WeightTensor[];
}

/** CTGAN and TVAE both implement this; the Synthesizer wraps one with the transformer. */
export interface MatrixModel {
  fit(matrix: TrainingMatrix, options: MatrixFitOptions): Promise<void>;
  /** rows x width, activations applied (tanh spans in [-1, 1], softmax spans one-hot-ish or one-hot). */
  sampleMatrix(rows: number, rng: Rng, condition?: MatrixCondition): Promise<Float32Array>;
  getState(): MatrixModelState;
  dispose(): void;
}
