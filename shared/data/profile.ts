import { z } from "zod";
import type { ColumnMetadata, TableMetadata } from "./metadata.ts";
import type { MissingTokenCount } from "./missing.ts";
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
  /** Of the missing cells, those that held a token ("NA", "null"...), per token: what the reader took as missing. */
  missingTokens?: MissingTokenCount[];
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

/** Summary of ascending values (sorted by the caller, which also counts distinct values from them). */
function summarise(sorted: Float64Array, bins: number): NumericSummary {
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

function distinctSorted(sorted: Float64Array): number {
  let d = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) d++;
  return d;
}

/**
 * One column's profile. Numbers and datetimes are counted from one sorted typed copy (distinct values, quantiles
 * and histogram alike) rather than a Map per value, which on a million-row float column is the difference between
 * milliseconds and seconds, and megabytes and hundreds of them.
 */
function profileColumn(
  col: readonly Cell[],
  meta: ColumnMetadata,
  opts: z.output<typeof profileOptionsSchema>,
): ColumnProfile {
  let missing = 0;
  let numbers = 0;
  for (const v of col) {
    if (v === null) missing++;
    else if (typeof v === "number" || v instanceof Date) numbers++;
  }
  const count = col.length - missing;
  const profile: ColumnProfile = { name: meta.name, sdtype: meta.sdtype, count, missing, distinct: 0 };
  if (meta.pii) profile.pii = meta.pii;
  if (count === 0) return profile;
  const numeric =
    meta.sdtype === "numerical" || meta.sdtype === "datetime" || (meta.sdtype === "id" && numbers === count);
  if (numeric) {
    const sorted = numbersOf(col).sort();
    profile.distinct = distinctSorted(sorted);
    if (meta.sdtype === "numerical" && sorted.length > 0) profile.numeric = summarise(sorted, opts.bins);
    if (meta.sdtype === "datetime" && sorted.length > 0) {
      const s = summarise(sorted, opts.bins);
      profile.datetime = {
        ...s,
        minIso: new Date(s.min).toISOString(),
        maxIso: new Date(s.max).toISOString(),
      };
    }
  }
  switch (meta.sdtype) {
    case "boolean": {
      let t = 0;
      let f = 0;
      for (const v of col) {
        if (v === true) t++;
        else if (v === false) f++;
      }
      profile.boolean = { true: t, false: f };
      profile.distinct = (t > 0 ? 1 : 0) + (f > 0 ? 1 : 0);
      break;
    }
    case "categorical": {
      const counts = new Map<string | number | boolean, number>();
      for (const v of col) {
        if (v === null) continue;
        const key = v instanceof Date ? v.getTime() : v;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      profile.distinct = counts.size;
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
      const top = sorted.slice(0, opts.topCategories);
      profile.categories = top.map(([value, c]) => ({
        value: String(value).slice(0, opts.maxLabelLength),
        count: c,
        frequency: c / count,
      }));
      profile.otherCount = count - top.reduce((acc, [, c]) => acc + c, 0);
      break;
    }
    case "id":
    case "text": {
      let minLength = Infinity;
      let maxLength = 0;
      let total = 0;
      const seen = numeric ? null : new Set<string | number | boolean>();
      for (const v of col) {
        if (v === null) continue;
        const text = v instanceof Date ? v.toISOString() : String(v);
        minLength = Math.min(minLength, text.length);
        maxLength = Math.max(maxLength, text.length);
        total += text.length;
        seen?.add(v instanceof Date ? v.getTime() : v);
      }
      if (seen !== null) profile.distinct = seen.size;
      profile.text = { minLength, maxLength, meanLength: total / count };
      break;
    }
  }
  if (profile.distinct === 1) profile.constant = true;
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
  read: { missingTokens?: ReadonlyMap<string, readonly MissingTokenCount[]> } = {},
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
    const profile = profileColumn(col, byName.get(name) ?? { name, sdtype: "categorical" }, opts);
    const tokens = read.missingTokens?.get(name);
    if (tokens !== undefined && tokens.length > 0) {
      profile.missingTokens = tokens.slice(0, 20).map((t) => ({
        token: t.token.slice(0, opts.maxLabelLength),
        count: t.count,
      }));
    }
    return profile;
  });
  const rowsWithMissing = rowHasMissing.reduce((s, v) => s + v, 0);
  return { rows: n, columns: table.columns.length, missingCells, rowsWithMissing, columnProfiles };
}
