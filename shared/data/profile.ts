import { z } from "zod";
import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import { rowCount, type Cell, type Table } from "./table.ts";

export const profileOptionsSchema = z.object({
  /** Histogram bins for numerical and datetime columns. */
  bins: z.number().int().min(1).max(100).default(20),
  /** Categories listed per categorical column (the rest are summed as "other"). */
  topCategories: z.number().int().min(1).max(100).default(20),
  /** Longest category label kept in the profile (longer ones are cut), so the profile stays small. */
  maxLabelLength: z.number().int().min(8).max(1000).default(100),
});
export type ProfileOptions = z.input<typeof profileOptionsSchema>;

export interface Histogram {
  /** bins + 1 edges, ascending; datetime edges are epoch milliseconds. */
  edges: number[];
  counts: number[];
}

export interface NumericSummary {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** p01, p05, p25, p50, p75, p95, p99 (linear interpolation, numpy's default). */
  quantiles: Record<string, number>;
  histogram: Histogram;
}

export interface ColumnProfile {
  name: string;
  sdtype: ColumnMetadata["sdtype"];
  count: number;
  missing: number;
  distinct: number;
  pii?: ColumnMetadata["pii"];
  constant?: boolean;
  numeric?: NumericSummary;
  /** datetime columns: the same summary over epoch milliseconds, plus ISO min/max. */
  datetime?: NumericSummary & { minIso: string; maxIso: string };
  categories?: { value: string; count: number; frequency: number }[];
  otherCount?: number;
  boolean?: { true: number; false: number };
  text?: { minLength: number; maxLength: number; meanLength: number };
}

export interface TableProfile {
  rows: number;
  columns: number;
  missingCells: number;
  rowsWithMissing: number;
  columnProfiles: ColumnProfile[];
}

const QUANTILES: [string, number][] = [
  ["p01", 0.01],
  ["p05", 0.05],
  ["p25", 0.25],
  ["p50", 0.5],
  ["p75", 0.75],
  ["p95", 0.95],
  ["p99", 0.99],
];

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summarise(values: Float64Array, bins: number): NumericSummary {
  const sorted = values.slice().sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (sorted[i] - mean) ** 2;
  const min = sorted[0];
  const max = sorted[n - 1];
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? max : min + k * width));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const k = width === 0 ? 0 : Math.min(bins - 1, Math.floor((sorted[i] - min) / width));
    counts[k]++;
  }
  return {
    min,
    max,
    mean,
    // Sample standard deviation (ddof = 1), as pandas' describe() reports.
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    quantiles: Object.fromEntries(QUANTILES.map(([k, q]) => [k, quantile(sorted, q)])),
    histogram: { edges, counts },
  };
}

function numbersOf(col: readonly Cell[]): Float64Array {
  const out = new Float64Array(col.length);
  let k = 0;
  for (const v of col) {
    if (typeof v === "number" && Number.isFinite(v)) out[k++] = v;
    else if (v instanceof Date) out[k++] = v.getTime();
  }
  return out.subarray(0, k);
}

function profileColumn(
  col: readonly Cell[],
  meta: ColumnMetadata,
  opts: z.output<typeof profileOptionsSchema>,
): ColumnProfile {
  let missing = 0;
  const counts = new Map<string | number | boolean, number>();
  for (const v of col) {
    if (v === null) {
      missing++;
      continue;
    }
    const key = v instanceof Date ? v.getTime() : v;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const count = col.length - missing;
  const profile: ColumnProfile = {
    name: meta.name,
    sdtype: meta.sdtype,
    count,
    missing,
    distinct: counts.size,
  };
  if (meta.pii) profile.pii = meta.pii;
  if (counts.size === 1) profile.constant = true;
  if (count === 0) return profile;
  switch (meta.sdtype) {
    case "numerical":
      profile.numeric = summarise(numbersOf(col), opts.bins);
      break;
    case "datetime": {
      const s = summarise(numbersOf(col), opts.bins);
      profile.datetime = {
        ...s,
        minIso: new Date(s.min).toISOString(),
        maxIso: new Date(s.max).toISOString(),
      };
      break;
    }
    case "boolean":
      profile.boolean = { true: counts.get(true) ?? 0, false: counts.get(false) ?? 0 };
      break;
    case "categorical": {
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
      const top = sorted.slice(0, opts.topCategories);
      profile.categories = top.map(([value, c]) => ({
        value: String(value).slice(0, opts.maxLabelLength),
        count: c,
        frequency: c / count,
      }));
      profile.otherCount = count - top.reduce((s, [, c]) => s + c, 0);
      break;
    }
    case "id":
    case "text": {
      let minLength = Infinity;
      let maxLength = 0;
      let total = 0;
      for (const [value, c] of counts) {
        const len = String(value).length;
        minLength = Math.min(minLength, len);
        maxLength = Math.max(maxLength, len);
        total += len * c;
      }
      profile.text = { minLength, maxLength, meanLength: total / count };
      break;
    }
  }
  return profile;
}

/**
 * A JSON-serialisable profile: per column count, missing, distinct, and by type min/max/mean/std/quantiles and a
 * histogram, top categories with frequencies, true/false counts or text lengths. Bounded in size (bins, top-k,
 * label length) so it fits in the datasets row whatever the table.
 */
export function profileTable(
  table: Table,
  metadata: TableMetadata,
  options: ProfileOptions = {},
): TableProfile {
  const opts = profileOptionsSchema.parse(options);
  const byName = new Map(metadata.columns.map((c) => [c.name, c]));
  const n = rowCount(table);
  const rowHasMissing = new Uint8Array(n);
  let missingCells = 0;
  const columnProfiles = table.columns.map((name, j) => {
    const col = table.data[j];
    for (let i = 0; i < n; i++) {
      if (col[i] === null) {
        missingCells++;
        rowHasMissing[i] = 1;
      }
    }
    return profileColumn(col, byName.get(name) ?? { name, sdtype: "categorical" }, opts);
  });
  const rowsWithMissing = rowHasMissing.reduce((s, v) => s + v, 0);
  return { rows: n, columns: table.columns.length, missingCells, rowsWithMissing, columnProfiles };
}
