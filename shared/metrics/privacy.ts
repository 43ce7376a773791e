import type { Cell, Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { joinRowKeys } from "../data/row-key.ts";
import type { Rng } from "../random.ts";
import { categoryKey, cellsOf, finiteValues, metricColumns, minMax, numericColumn } from "./columns.ts";
import type { MetricColumn } from "./columns.ts";
import { COPY_RELATIVE_TOLERANCE, DcrIndex } from "./dcr.ts";

export interface DcrSummary {
  min: number;
  p05: number;
  median: number;
  mean: number;
  /** Share of synthetic rows at distance 0 from a real row (identical on every compared column). */
  exactShare: number;
  /** Counts of synthetic rows by DCR, 20 bins over [0, 0.5) and one for >= 0.5, for the report's plot. */
  histogram: { edges: number[]; counts: number[] };
}

export interface PrivacyResult {
  dcr: DcrSummary;
  /** Share of synthetic rows that copy a real row: same categories, every number within 1% (relative). */
  copyShare: number;
  copyTolerance: number;
  /** SDMetrics DCRBaselineProtection: min(1, median DCR(synthetic) / median DCR(uniform random rows)). */
  baselineProtection: { score: number | null; syntheticMedianDcr: number; randomMedianDcr: number };
  /** SDMetrics DCROverfittingProtection (needs a holdout the model never saw). */
  overfittingProtection: {
    score: number;
    closerToTraining: number;
    closerToHoldout: number;
    holdoutRows: number;
  } | null;
  exactCopies: ExactCopies;
}

/** Quantile by linear interpolation between order statistics (numpy's default, pandas' median). */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function median(values: Float64Array): number {
  return quantile(Float64Array.from(values).sort(), 0.5);
}

function summarise(dcr: Float64Array): DcrSummary {
  const sorted = Float64Array.from(dcr).sort();
  let sum = 0;
  let zeros = 0;
  for (const v of sorted) {
    sum += v;
    if (v === 0) zeros++;
  }
  const bins = 20;
  const width = 0.5 / bins;
  const counts = new Array<number>(bins + 1).fill(0);
  for (const v of sorted) counts[Math.min(bins, Math.floor(v / width))]++;
  return {
    min: sorted.length ? sorted[0] : NaN,
    p05: quantile(sorted, 0.05),
    median: quantile(sorted, 0.5),
    mean: sorted.length ? sum / sorted.length : NaN,
    exactShare: sorted.length ? zeros / sorted.length : 0,
    histogram: { edges: Array.from({ length: bins + 1 }, (_, i) => i * width), counts },
  };
}

/**
 * The baseline of DCRBaselineProtection: rows drawn uniformly within the real data, column by column, as
 * SDMetrics' _generate_random_data does: integers uniform in [min, max] for integer columns without missing
 * values, numbers uniform in [min, max) otherwise (datetimes included), categories uniform over the distinct
 * non-missing real values, and each column missing with the real column's missing share.
 */
export function uniformRandomRows(real: Table, metadata: TableMetadata, rows: number, rng: Rng): Table {
  const columns: string[] = [];
  const data: Cell[][] = [];
  for (const col of metricColumns(metadata)) {
    const cells = cellsOf(real, col.name, "real");
    const missingShare = cells.length
      ? cells.filter((c) => categoryKey(c) === null).length / cells.length
      : 0;
    const out = new Array<Cell>(rows);
    if (col.kind === "continuous") {
      const values = finiteValues(numericColumn(cells));
      const { min, max } = minMax(values);
      const integer = missingShare === 0 && values.every(Number.isInteger) && col.sdtype === "numerical";
      for (let i = 0; i < rows; i++) {
        if (values.length === 0) out[i] = null;
        else if (integer) out[i] = min + rng.int(max - min + 1);
        else out[i] = min + rng.next() * (max - min);
        if (col.sdtype === "datetime" && out[i] !== null) out[i] = new Date(out[i] as number);
      }
    } else {
      const levels = [...new Set(cells.map(categoryKey))].filter((k): k is string => k !== null);
      for (let i = 0; i < rows; i++) out[i] = levels.length ? levels[rng.int(levels.length)] : null;
    }
    for (let i = 0; i < rows; i++) if (rng.next() < missingShare) out[i] = null;
    columns.push(col.name);
    data.push(out);
  }
  return { columns, data };
}

export interface ExactCopies {
  uniqueRealRowShare: number;
  anyRealRowShare: number;
  realDuplicateShare: number;
  uniqueRealRowCopies: number;
  anyRealRowCopies: number;
  columnsCompared: string[];
  warning: string | null;
}

/** One key per row over the metric columns: numbers (dates as epoch ms) as printed, categories as text. */
function rowKeys(table: Table, columns: MetricColumn[], which: string): string[] {
  const tokens = columns.map((col) => {
    const cells = cellsOf(table, col.name, which);
    if (col.kind === "continuous") {
      return Array.from(numericColumn(cells), (v) => (Number.isNaN(v) ? "\u0000" : String(v)));
    }
    return cells.map((c) => categoryKey(c) ?? "\u0000");
  });
  return joinRowKeys(tokens, tokens.length === 0 ? 0 : tokens[0].length);
}

/**
 * Exact copies, the disclosure a distance summary can hide: synthetic rows equal on every compared column
 * (ids and text are left out) to a real row, split by whether that real row is unique in the real table.
 * A copy of a row many real people share discloses no one; the real table's own duplicate share says how
 * common such rows are.
 */
export function exactCopies(real: Table, synthetic: Table, metadata: TableMetadata): ExactCopies {
  const columns = metricColumns(metadata);
  const counts = new Map<string, number>();
  for (const k of rowKeys(real, columns, "real")) counts.set(k, (counts.get(k) ?? 0) + 1);
  let duplicated = 0;
  let realRows = 0;
  for (const c of counts.values()) {
    realRows += c;
    if (c > 1) duplicated += c;
  }
  let unique = 0;
  let any = 0;
  const syntheticKeys = rowKeys(synthetic, columns, "synthetic");
  for (const k of syntheticKeys) {
    const c = counts.get(k);
    if (c === undefined) continue;
    any++;
    if (c === 1) unique++;
  }
  const n = syntheticKeys.length;
  const uniqueShare = n ? unique / n : 0;
  return {
    uniqueRealRowShare: uniqueShare,
    anyRealRowShare: n ? any / n : 0,
    realDuplicateShare: realRows ? duplicated / realRows : 0,
    uniqueRealRowCopies: unique,
    anyRealRowCopies: any,
    columnsCompared: columns.map((c) => c.name),
    warning:
      unique > 0
        ? `${unique} synthetic rows (${(uniqueShare * 100).toFixed(2)}%) reproduce a real row that is unique in the real table: each discloses one real record. Sample with the privacy guard on.`
        : null,
  };
}

export interface PrivacyOptions {
  rng: Rng;
  /** Real rows the model never saw, for DCROverfittingProtection. */
  holdout?: Table;
}

export function privacy(
  real: Table,
  synthetic: Table,
  metadata: TableMetadata,
  options: PrivacyOptions,
): PrivacyResult {
  const index = new DcrIndex(real, metadata);
  const dcr = index.distances(synthetic);
  const copies = index.copies(synthetic);
  let copied = 0;
  for (const c of copies) copied += c;
  const syntheticRows = dcr.length;

  const random = uniformRandomRows(real, metadata, syntheticRows, options.rng);
  const randomMedian = median(index.distances(random));
  const syntheticMedian = median(dcr);
  const baselineScore =
    randomMedian === 0 || Number.isNaN(randomMedian) ? null : Math.min(syntheticMedian / randomMedian, 1);

  let overfitting: PrivacyResult["overfittingProtection"] = null;
  if (options.holdout && options.holdout.data.length > 0 && options.holdout.data[0].length > 0) {
    const holdoutDcr = new DcrIndex(options.holdout, metadata).distances(synthetic);
    let closer = 0;
    for (let i = 0; i < syntheticRows; i++) if (dcr[i] < holdoutDcr[i]) closer++;
    const closerToTraining = syntheticRows ? closer / syntheticRows : 0;
    overfitting = {
      score: Math.min((1 - closerToTraining) * 2, 1),
      closerToTraining,
      closerToHoldout: 1 - closerToTraining,
      holdoutRows: options.holdout.data[0].length,
    };
  }
  return {
    dcr: summarise(dcr),
    copyShare: syntheticRows ? copied / syntheticRows : 0,
    copyTolerance: COPY_RELATIVE_TOLERANCE,
    baselineProtection: {
      score: baselineScore,
      syntheticMedianDcr: syntheticMedian,
      randomMedianDcr: randomMedian,
    },
    overfittingProtection: overfitting,
    exactCopies: exactCopies(real, synthetic, metadata),
  };
}
