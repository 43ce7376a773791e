import type { Cell, Table } from "../shared/data/table.ts";
import type { TableMetadata } from "../shared/data/metadata.ts";
import { estimateFit, type FitEstimate, type FitEstimateInput } from "../shared/synth/estimate.ts";
import type { ModelKind } from "../shared/synth/models.ts";
import { notRetryable } from "./job-errors.ts";

/**
 * Refuses, before any training, a job whose estimated peak memory exceeds what the runner was given,
 * instead of letting the process die. The estimate is shared/synth/estimate.ts estimateFit (coefficients
 * fitted to measured peak RSS, the ~180-270 MB Node + tfjs runtime included, held within 1.7x of every
 * measured run), from the same counts the API's /generation-v2/validate uses: learned columns by kind (ids,
 * free text, personal data and constants are regenerated, not learned), the one-hot width from the
 * distinct levels, training rows, epochs, batch and sample size.
 */
export interface MemoryCheckInput {
  model: ModelKind;
  modelConfig: Record<string, unknown>;
  /** Rows the model is fitted on (the holdout excluded). */
  rows: number;
  metadata: TableMetadata;
  /** Distinct levels (missing counted as one) of the categorical and boolean columns, when known. */
  levels?: ReadonlyMap<string, number>;
  sampleSize: number;
}

/** The transformer keeps at most this many levels per column plus "other" (transformerOptionsSchema). */
const MAX_CATEGORIES = 500;

export function fitEstimateInputOf(input: MemoryCheckInput): FitEstimateInput | null {
  let numerical = 0;
  const categorical: string[] = [];
  for (const c of input.metadata.columns) {
    if (c.pii !== undefined || c.constant === true) continue;
    if (c.sdtype === "numerical" || c.sdtype === "datetime") numerical += 1;
    if (c.sdtype === "categorical" || c.sdtype === "boolean") categorical.push(c.name);
  }
  if (numerical + categorical.length === 0 || input.rows < 1) return null;
  const levels = categorical.map((name) => input.levels?.get(name));
  const known = levels.every((n) => n !== undefined);
  const config = input.modelConfig;
  return {
    model: input.model,
    rows: input.rows,
    columns: {
      numerical,
      categorical: categorical.length,
      ...(known
        ? {
            categoriesTotal: levels.reduce<number>(
              (s, n) => s + Math.min(n as number, MAX_CATEGORIES + 1),
              0,
            ),
          }
        : {}),
    },
    ...(typeof config.epochs === "number" && input.model !== "gaussian_copula"
      ? { epochs: config.epochs }
      : {}),
    ...(typeof config.batch_size === "number" ? { batchSize: config.batch_size } : {}),
    sampleSize: input.sampleSize,
  };
}

/** Distinct values (missing as one more) of each categorical and boolean column of the table. */
export function categoricalLevels(table: Table, metadata: TableMetadata): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of metadata.columns) {
    if (c.sdtype !== "categorical" && c.sdtype !== "boolean") continue;
    const j = table.columns.indexOf(c.name);
    if (j < 0) continue;
    const seen = new Set<string>();
    for (const cell of table.data[j] as Cell[]) {
      seen.add(cell === null ? "\u0000null" : cell instanceof Date ? cell.toISOString() : String(cell));
      if (seen.size > MAX_CATEGORIES) break;
    }
    out.set(c.name, seen.size);
  }
  return out;
}

/** The fit's estimate (peak memory included); null when there is nothing to learn. */
export function estimateJob(input: MemoryCheckInput): FitEstimate | null {
  const estimateInput = fitEstimateInputOf(input);
  return estimateInput === null ? null : estimateFit(estimateInput);
}

/** The estimate, or MEMORY_LIMIT (not retryable: the same job on the same runner would die again). */
export function assertMemoryFits(input: MemoryCheckInput, memoryBytes: number): FitEstimate | null {
  const estimate = estimateJob(input);
  if (estimate === null) return null;
  if (estimate.peakMemoryBytes > memoryBytes) {
    const mb = (b: number) => Math.ceil(b / 2 ** 20);
    throw notRetryable(
      "MEMORY_LIMIT",
      `this job needs about ${mb(estimate.peakMemoryBytes)} MB at its peak, more than the ${mb(memoryBytes)} MB ` +
        "this runner may use: train on fewer rows or columns, a smaller batch, or a runner with more memory",
      {
        estimated_peak_bytes: estimate.peakMemoryBytes,
        limit_bytes: memoryBytes,
        model: input.model,
        rows: input.rows,
        basis: estimate.basis,
      },
    );
  }
  return estimate;
}
