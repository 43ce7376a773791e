/**
 * Fit time, sample time and peak memory of a fit before it runs (POST /generation-v2/validate). Not a
 * guess: a small linear cost model per model whose coefficients bench/estimate-fit.ts fitted (non-negative
 * least squares on relative error) to measured runs: bench/results/estimate*.json (short fits of every shared
 * dataset, CPS1988 resized from 5k to 79k rows, credit_data at several batch sizes, samples apart from the
 * training rows) and the older synth.json / nn.json rows. The fit and the error on every point, in-sample
 * and leave-one-out, are in bench/results/estimate-coefficients.json; shared/synth/estimate.test.ts holds the
 * estimate to 2x (or 0.25 s) of every measured fit and sample, and 1.7x of every peak RSS.
 *
 * The cost model follows what a fit does:
 * - a neural epoch is `steps` optimiser steps over `rowsPerEpoch` rows: seconds = a * steps + rowsPerEpoch *
 *   (b + c * w), w the network's input width (TVAE: the transformed width; CTGAN: that plus the conditional
 *   vector, which both its networks take). Steps and rows per epoch follow the batch rule the fit itself
 *   uses (nn/batch.ts): the reference's 500, but CTGAN at most the rows in whole pac groups (one step per
 *   epoch on small tables, each step drawing a whole batch), TVAE at most a tenth of the rows (10 steps);
 * - fit = transformer (mixture fits on at most 20 000 values per numeric column, then a pass over every
 *   cell) + epochs x epoch + a first-epoch warm-up (tfjs kernels, wasm heap growth);
 * - the Gaussian copula has no epochs: one pass for the marginals, one correlation matrix (rows x columns²);
 * - sampling is per row and per transformed column (neural) or per column² (copula);
 * - peak memory is the measuring process's peak RSS, Node 20 + tfjs-wasm baseline (~180 MB) included.
 * Times are one core of the 2-core bench machine (wasm SIMD, single-threaded): CPU seconds where the bench
 * recorded them, and per case the least of two passes, since other jobs on the shared machine only add time.
 */
import { z } from "zod";
import { validationError } from "../errors.ts";
import { resolveBatchSize, TVAE_MIN_STEPS_PER_EPOCH } from "./nn/batch.ts";

export const ESTIMATE_MODELS = ["ctgan", "tvae", "gaussian_copula"] as const;
export type EstimateModel = (typeof ESTIMATE_MODELS)[number];
type NeuralModel = Exclude<EstimateModel, "gaussian_copula">;

/** ctgan.ts and tvae.ts default `epochs` (a test keeps them equal). */
export const DEFAULT_EPOCHS = 300;
/** CTGAN's default pac: its batches are whole pac groups, and even (ctgan.ts). */
export const CTGAN_PAC = 10;
/** transformer.ts mixtureSampleSize: a numeric column's modes are fitted on at most this many values. */
export const MIXTURE_SAMPLE_SIZE = 20_000;

/**
 * Fitted by `npx tsx bench/estimate-fit.ts` on 2026-12-02 from bench/results/estimate.json, synth.json,
 * nn.json and nn-quiet-defaults.json; copied from bench/results/estimate-coefficients.json (a test fails
 * when they differ). Seconds and MB; each array multiplies the matching *Features() below.
 */
export const FIT_COEFFICIENTS = {
  measured: "2026-12-02",
  layout: { modesPerNumerical: 6.5, categoriesPerCategorical: 3.159 },
  transformer: [0.05037, 2.799e-6, 3.664e-7],
  ctgan: {
    epoch: [0.02271, 3.749e-5, 6.713e-7],
    warmup: [0.3866, 0],
    sample: [0.01991, 1.089e-5, 3.73e-7],
    memoryMb: [268.9, 0.00015, 3.063e-6, 0.0001449],
  },
  tvae: {
    epoch: [0.006465, 1.659e-5, 1.606e-7],
    warmup: [0.2998, 0.06435],
    sample: [0.01938, 1.913e-6, 2.765e-7],
    memoryMb: [228.6, 0, 5.801e-5, 0.0001028],
  },
  gaussian_copula: {
    fit: [0.05093, 3.317e-7, 3.907e-8],
    sample: [0.0253, 2.346e-7, 0],
    memoryMb: [197.1, 0.0002796, 0, 6.44e-5],
  },
} as const;

export interface NeuralLayout {
  batchSize: number;
  stepsPerEpoch: number;
  /** Rows pushed through the networks per epoch: CTGAN draws whole batches, TVAE passes over the rows. */
  rowsPerEpoch: number;
}

/** Steps and rows per epoch at a given batch, as ctgan.ts and tvae.ts loop. */
export function layoutForBatch(model: NeuralModel, rows: number, batchSize: number): NeuralLayout {
  if (model === "ctgan") {
    const steps = Math.max(Math.floor(rows / batchSize), 1);
    return { batchSize, stepsPerEpoch: steps, rowsPerEpoch: steps * batchSize };
  }
  return { batchSize, stepsPerEpoch: Math.ceil(rows / batchSize), rowsPerEpoch: rows };
}

/** The layout a fit would run with: the batch asked for or the default (nn/batch.ts; same refusals). */
export function neuralLayout(model: NeuralModel, rows: number, batchSize?: number): NeuralLayout {
  const batch =
    model === "ctgan"
      ? resolveBatchSize(batchSize, rows, { model: "CTGAN", multiples: [CTGAN_PAC, 2], minSteps: 1 })
      : resolveBatchSize(batchSize, rows, { model: "TVAE", minSteps: TVAE_MIN_STEPS_PER_EPOCH });
  return layoutForBatch(model, rows, batch);
}

// The cost model's terms. bench/estimate-fit.ts fits the coefficients on these very functions.

export const epochFeatures = (
  model: NeuralModel,
  layout: NeuralLayout,
  width: number,
  conditionalWidth: number,
): number[] => {
  const w = model === "ctgan" ? width + conditionalWidth : width;
  return [layout.stepsPerEpoch, layout.rowsPerEpoch, layout.rowsPerEpoch * w];
};

export const warmupFeatures = (secondsPerEpoch: number): number[] => [1, secondsPerEpoch];

export const transformerFeatures = (rows: number, numerical: number, categorical: number): number[] => [
  1,
  Math.min(rows, MIXTURE_SAMPLE_SIZE) * numerical,
  rows * (numerical + categorical),
];

export const copulaFitFeatures = (rows: number, columns: number): number[] => [
  1,
  rows * columns,
  rows * columns * columns,
];

/** Neural: rows x transformed width (network and inverse transform); copula: rows x columns². */
export const sampleFeatures = (
  model: EstimateModel,
  sampleRows: number,
  width: number,
  columns: number,
): number[] =>
  model === "gaussian_copula"
    ? [1, sampleRows * columns, sampleRows * columns * columns]
    : [1, sampleRows, sampleRows * width];

/** The table as cells, the training matrix (neural), the sampled table. */
export const memoryFeatures = (
  model: EstimateModel,
  rows: number,
  columns: number,
  width: number,
  sampleRows: number,
): number[] => [1, rows * columns, model === "gaussian_copula" ? 0 : rows * width, sampleRows * columns];

const dot = (coefficients: readonly number[], features: number[]): number =>
  coefficients.reduce((s, c, i) => s + c * features[i], 0);

const count = z.number().int().nonnegative();

export const fitEstimateInputSchema = z.object({
  model: z.enum(ESTIMATE_MODELS),
  /** Training rows. */
  rows: z.number().int().positive(),
  columns: z
    .object({
      numerical: count,
      categorical: count,
      /** Distinct levels summed over the categorical columns (each capped at maxCategories + 1). */
      categoriesTotal: count.optional(),
      /** The transformer's width when known (it overrides the one derived from the counts). */
      transformedWidth: z.number().int().positive().optional(),
      /** CTGAN's conditional vector: the one-hot width of the discrete columns. */
      conditionalWidth: count.optional(),
    })
    .refine((c) => c.numerical + c.categorical > 0, "at least one column"),
  /** Neural models only; default 300. The Gaussian copula has no epochs. */
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  /** Rows to sample after the fit. */
  sampleSize: count,
});
export type FitEstimateInput = z.input<typeof fitEstimateInputSchema>;

export interface FitEstimate {
  fitSeconds: number;
  sampleSeconds: number;
  peakMemoryBytes: number;
  /** What the figures are and where the coefficients come from, for the API's answer. */
  basis: string;
  /** Neural models: what the estimate assumed about the fit. null for the Gaussian copula. */
  batchSize: number | null;
  stepsPerEpoch: number | null;
  epochs: number | null;
  secondsPerEpoch: number | null;
  transformedWidth: number | null;
}

const BASIS =
  `fitted on ${FIT_COEFFICIENTS.measured} to measured fits (bench/results/estimate-coefficients.json): ` +
  "seconds of one core (Node 20, tfjs wasm SIMD) and peak process RSS including the ~180 MB runtime; " +
  "within 2x (or 0.25 s) of every measured fit";

export function estimateFit(input: FitEstimateInput): FitEstimate {
  const parsed = fitEstimateInputSchema.safeParse(input);
  if (!parsed.success) {
    throw validationError("invalid fit estimate input", { issues: parsed.error.issues.slice(0, 5) });
  }
  const { model, rows, columns: c, sampleSize } = parsed.data;
  const columns = c.numerical + c.categorical;
  const k = FIT_COEFFICIENTS;
  const mb = 2 ** 20;
  if (model === "gaussian_copula") {
    return {
      fitSeconds: Math.max(0, dot(k.gaussian_copula.fit, copulaFitFeatures(rows, columns))),
      sampleSeconds: Math.max(
        0,
        dot(k.gaussian_copula.sample, sampleFeatures(model, sampleSize, 0, columns)),
      ),
      peakMemoryBytes: Math.round(
        dot(k.gaussian_copula.memoryMb, memoryFeatures(model, rows, columns, 0, sampleSize)) * mb,
      ),
      basis: `Gaussian copula (no epochs: one pass and one correlation matrix), ${BASIS}`,
      batchSize: null,
      stepsPerEpoch: null,
      epochs: null,
      secondsPerEpoch: null,
      transformedWidth: null,
    };
  }
  const categories = c.categoriesTotal ?? Math.round(c.categorical * k.layout.categoriesPerCategorical);
  const width =
    c.transformedWidth ??
    Math.max(1, Math.round(c.numerical * (1 + k.layout.modesPerNumerical) + categories));
  const conditionalWidth = c.conditionalWidth ?? categories;
  const epochs = parsed.data.epochs ?? DEFAULT_EPOCHS;
  const layout = neuralLayout(model, rows, parsed.data.batchSize);
  const m = k[model];
  const secondsPerEpoch = dot(m.epoch, epochFeatures(model, layout, width, conditionalWidth));
  const fitSeconds =
    dot(k.transformer, transformerFeatures(rows, c.numerical, c.categorical)) +
    epochs * secondsPerEpoch +
    dot(m.warmup, warmupFeatures(secondsPerEpoch));
  return {
    fitSeconds,
    sampleSeconds: dot(m.sample, sampleFeatures(model, sampleSize, width, columns)),
    peakMemoryBytes: Math.round(
      dot(m.memoryMb, memoryFeatures(model, rows, columns, width, sampleSize)) * mb,
    ),
    basis:
      `${model === "ctgan" ? "CTGAN" : "TVAE"}: ${epochs} epochs of ${layout.stepsPerEpoch} steps of batch ` +
      `${layout.batchSize} over a ${width}-wide transformed table, ${BASIS}`,
    batchSize: layout.batchSize,
    stepsPerEpoch: layout.stepsPerEpoch,
    epochs,
    secondsPerEpoch,
    transformedWidth: width,
  };
}
