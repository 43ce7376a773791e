import type { Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { binCodes, categoryCodes, DEFAULT_BINS, equalWidthEdges, type Codes } from "./binning.ts";
import { cellsOf, mean, metricColumns, numericColumn, type MetricColumn } from "./columns.ts";
import { contingencySimilarity, cramersV, jointTable } from "./contingency.ts";
import { ksComplement } from "./ks.ts";
import { correlationSimilarity, pearson } from "./pearson.ts";
import { tvComplement } from "./tv.ts";
import { createRng, type Rng } from "../random.ts";
import { codedSide, PairKernel, type CodedSide, type PairContingency } from "./pair-kernel.ts";
import { heatmapColumnCount, Reservoir, WorstKeeper } from "./pair-selection.ts";

/** SDMetrics 0.27+ QualityReport defaults: a pair counts as related in the real data above these. */
export const REAL_CORRELATION_THRESHOLD = 0.5;
export const REAL_ASSOCIATION_THRESHOLD = 0.3;

export interface ColumnShape {
  column: string;
  sdtype: string;
  metric: "KSComplement" | "TVComplement";
  /** Null when a side has no value to compare. */
  score: number | null;
}

export interface PairTrend {
  columns: [string, string];
  metric: "CorrelationSimilarity" | "ContingencySimilarity";
  score: number | null;
  /** Pearson r (numerical pairs). */
  realCorrelation: number | null;
  syntheticCorrelation: number | null;
  /** Cramér's V of the (binned) contingency table: every pair, so the heatmaps can show all of them. */
  realAssociation: number | null;
  syntheticAssociation: number | null;
  /** |r_real| > 0.5 for numerical pairs, Cramér's V_real > 0.3 otherwise (SDMetrics' default filter). */
  related: boolean;
}

export interface QualityScores {
  overall: number | null;
  columnShapes: number | null;
  columnPairTrends: number | null;
}

export interface QualityResult {
  /** Every pair averaged (our definition; the one we optimise). */
  allPairs: QualityScores;
  /** Only pairs related in the real data averaged, as the SDMetrics 0.27+ QualityReport does by default. */
  relatedPairs: QualityScores & { pairsScored: number; pairsTotal: number };
  columnShapes: ColumnShape[];
  /** At most `maxPairDetails` pairs (all of them when there are no more): see `pairDetails`. */
  columnPairTrends: PairTrend[];
  pairDetails: PairDetails;
}

interface PreparedColumn {
  meta: MetricColumn;
  realNumbers?: Float64Array;
  syntheticNumbers?: Float64Array;
  realCodes: Codes;
  syntheticCodes: Int32Array;
  realSide: CodedSide;
  syntheticSide: CodedSide;
}

/** Discrete codes for contingency tables: categories on a shared dictionary, numbers in real-range bins. */
function prepare(meta: MetricColumn, real: Table, synthetic: Table, bins: number): PreparedColumn {
  const realCells = cellsOf(real, meta.name, "real");
  const syntheticCells = cellsOf(synthetic, meta.name, "synthetic");
  if (meta.kind === "continuous") {
    const realNumbers = numericColumn(realCells);
    const syntheticNumbers = numericColumn(syntheticCells);
    const edges = equalWidthEdges(realNumbers, bins) ?? new Float64Array([0, 1]);
    const realCodes = binCodes(realNumbers, edges);
    const syntheticCodes = binCodes(syntheticNumbers, edges).codes;
    return { meta, realNumbers, syntheticNumbers, ...sides(realCodes, syntheticCodes) };
  }
  const dictionary = new Map<string | null, number>();
  const realCodes = categoryCodes(realCells, dictionary);
  const syntheticCodes = categoryCodes(syntheticCells, dictionary);
  return { meta, ...sides({ codes: realCodes, levels: dictionary.size }, syntheticCodes) };
}

function sides(realCodes: Codes, syntheticCodes: Int32Array) {
  return {
    realCodes,
    syntheticCodes,
    realSide: codedSide(realCodes.codes, realCodes.levels),
    syntheticSide: codedSide(syntheticCodes, realCodes.levels),
  };
}

/** Both Cramér's V and ContingencySimilarity of a pair: the linear kernel, or sparse tables for huge ones. */
function pairContingency(a: PreparedColumn, b: PreparedColumn, kernel: PairKernel): PairContingency {
  const la = a.realCodes.levels;
  const lb = b.realCodes.levels;
  if (PairKernel.fits(la, lb))
    return kernel.measure(a.realSide, b.realSide, a.syntheticSide, b.syntheticSide, la, lb);
  const realTable = jointTable(a.realCodes.codes, la, b.realCodes.codes, lb);
  const syntheticTable = jointTable(a.syntheticCodes, la, b.syntheticCodes, lb);
  return {
    realAssociation: cramersV(realTable, la, lb),
    syntheticAssociation: cramersV(syntheticTable, la, lb),
    similarity: a.realCodes.codes.length === 0 ? null : contingencySimilarity(realTable, syntheticTable),
  };
}

function columnShape(col: PreparedColumn, real: Table, synthetic: Table): ColumnShape {
  const { name, sdtype, kind } = col.meta;
  if (kind === "continuous") {
    return {
      column: name,
      sdtype,
      metric: "KSComplement",
      score: ksComplement(col.realNumbers!, col.syntheticNumbers!),
    };
  }
  return {
    column: name,
    sdtype,
    metric: "TVComplement",
    score: tvComplement(cellsOf(real, name, "real"), cellsOf(synthetic, name, "synthetic")),
  };
}

function pairTrend(a: PreparedColumn, b: PreparedColumn, kernel: PairKernel): PairTrend {
  const { realAssociation, syntheticAssociation, similarity } = pairContingency(a, b, kernel);
  const columns: [string, string] = [a.meta.name, b.meta.name];
  if (a.meta.kind === "continuous" && b.meta.kind === "continuous") {
    const realCorrelation = pearson(a.realNumbers!, b.realNumbers!);
    const syntheticCorrelation = pearson(a.syntheticNumbers!, b.syntheticNumbers!);
    return {
      columns,
      metric: "CorrelationSimilarity",
      score: correlationSimilarity(realCorrelation, syntheticCorrelation),
      realCorrelation,
      syntheticCorrelation,
      realAssociation,
      syntheticAssociation,
      related: realCorrelation !== null && Math.abs(realCorrelation) > REAL_CORRELATION_THRESHOLD,
    };
  }
  return {
    columns,
    metric: "ContingencySimilarity",
    score: similarity,
    realCorrelation: null,
    syntheticCorrelation: null,
    realAssociation,
    syntheticAssociation,
    related: realAssociation !== null && realAssociation > REAL_ASSOCIATION_THRESHOLD,
  };
}

function scores(shapes: number | null, trends: number | null): QualityScores {
  const parts = [shapes, trends].filter((v): v is number => v !== null);
  return { overall: mean(parts), columnShapes: shapes, columnPairTrends: trends };
}

const nonNull = (values: (number | null)[]): number[] => values.filter((v): v is number => v !== null);

/** Pair details a report carries by default; the scores always average every pair. */
export const DEFAULT_MAX_PAIR_DETAILS = 2000;
/** Columns the heatmaps show at most; all pairs among them are always among the details. */
export const HEATMAP_MAX_COLUMNS = 40;
/**
 * Pair scoring costs pairs x (real + synthetic rows) cell visits; above this many, the pair-trend scores
 * average a seeded uniform sample of the pairs (as many as fit) instead of all of them, and say so. 2 000
 * columns x 30 rows is 1.2e8 visits; 100 columns x 100 000 rows 1e9.
 */
export const MAX_PAIR_CELL_VISITS = 2e9;

export interface QualityOptions {
  /** Equal-width bins for numerical columns in contingency tables (SDMetrics default 10). */
  bins?: number;
  /** At most this many pairs in `columnPairTrends` (default 2 000); every pair is scored regardless. */
  maxPairDetails?: number;
  /** Seeds the sample of detailed pairs when there are more pairs than `maxPairDetails`. */
  seed?: number;
  /** Above this many pairs x rows, a sample of pairs is scored (default MAX_PAIR_CELL_VISITS). */
  maxPairCellVisits?: number;
}

/** Which pairs `columnPairTrends` holds out of how many were scored. */
export interface PairDetails {
  /** Every pair of metric columns. */
  total: number;
  /** Pairs in the scores: all of them, unless pairs x rows exceeded MAX_PAIR_CELL_VISITS (a seeded sample). */
  scored: number;
  /** Pairs in `columnPairTrends`. */
  detailed: number;
  /** "all" pairs, or "bounded": the heatmap columns' pairs, then the worst pairs, then a seeded sample. */
  selection: "all" | "bounded";
  heatmapPairs: number;
  worst: number;
  sampled: number;
  /** The columns the heatmaps show (every pair among them is detailed): all columns when every pair is. */
  heatmapColumns: string[];
}

interface PairTotals {
  sum: number;
  count: number;
  relatedSum: number;
  relatedCount: number;
}

function addPair(t: PairTotals, p: PairTrend): void {
  if (p.score === null) return;
  t.sum += p.score;
  t.count++;
  if (p.related) {
    t.relatedSum += p.score;
    t.relatedCount++;
  }
}

/** Index of pair (i, j), i < j, in the row-major order of the upper triangle of n columns. */
const pairIndex = (i: number, j: number, n: number): number => i * n - (i * (i + 1)) / 2 + (j - i - 1);

/** Selection sampling (Knuth's algorithm S): exactly `k` of `total` stream positions, uniformly. */
class PairSampler {
  private seen = 0;
  private taken = 0;

  constructor(
    private readonly total: number,
    private readonly k: number,
    private readonly rng: Rng,
  ) {}

  /** Whether the next pair is scored; draws nothing when every pair is. */
  next(): boolean {
    const left = this.total - this.seen++;
    if (this.k >= this.total) return true;
    if (this.rng.next() * left >= this.k - this.taken) return false;
    this.taken++;
    return true;
  }
}

interface PairPass {
  totals: PairTotals;
  trends: PairTrend[];
  details: PairDetails;
}

function allPairs(prepared: PreparedColumn[], sampler: PairSampler): PairPass {
  const kernel = new PairKernel();
  const totals: PairTotals = { sum: 0, count: 0, relatedSum: 0, relatedCount: 0 };
  const trends: PairTrend[] = [];
  for (let i = 0; i < prepared.length; i++) {
    for (let j = i + 1; j < prepared.length; j++) {
      if (!sampler.next()) continue;
      const p = pairTrend(prepared[i], prepared[j], kernel);
      addPair(totals, p);
      trends.push(p);
    }
  }
  const n = prepared.length;
  const details: PairDetails = {
    total: (n * (n - 1)) / 2,
    scored: trends.length,
    detailed: trends.length,
    selection: "all",
    heatmapPairs: 0,
    worst: 0,
    sampled: 0,
    heatmapColumns: prepared.map((c) => c.meta.name),
  };
  return { totals, trends, details };
}

/**
 * Every pair scored, at most `max` kept: the pairs among the heatmap columns (those with the lowest mean pair
 * score), the worst pairs, and a seeded uniform sample of all pairs, in table order. Memory is bounded by
 * `max`, not by the number of pairs.
 */
function boundedPairs(prepared: PreparedColumn[], max: number, rng: Rng, sampler: PairSampler): PairPass {
  const n = prepared.length;
  const total = (n * (n - 1)) / 2;
  const h = heatmapColumnCount(HEATMAP_MAX_COLUMNS, Math.floor(max / 2));
  const heatPairs = (h * (h - 1)) / 2;
  const rest = max - heatPairs;
  const worstKeeper = new WorstKeeper<PairTrend>(Math.ceil(rest / 2));
  const reservoir = new Reservoir<PairTrend>(rest, rng);
  const totals: PairTotals = { sum: 0, count: 0, relatedSum: 0, relatedCount: 0 };
  const kernel = new PairKernel();
  const columnSum = new Float64Array(n);
  const columnCount = new Float64Array(n);
  let index = -1;
  let scored = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      index++;
      if (!sampler.next()) continue;
      scored++;
      const p = pairTrend(prepared[i], prepared[j], kernel);
      addPair(totals, p);
      if (p.score !== null) {
        columnSum[i] += p.score;
        columnSum[j] += p.score;
        columnCount[i]++;
        columnCount[j]++;
      }
      const entry = { index, score: p.score, item: p };
      worstKeeper.offer(entry);
      reservoir.offer(entry);
    }
  }
  const columnMean = (c: number) => (columnCount[c] === 0 ? Infinity : columnSum[c] / columnCount[c]);
  const heat = Array.from({ length: n }, (_, c) => c)
    .sort((a, b) => columnMean(a) - columnMean(b) || a - b)
    .slice(0, h)
    .sort((a, b) => a - b);
  const kept = new Map<number, PairTrend>();
  for (let a = 0; a < heat.length; a++) {
    for (let b = a + 1; b < heat.length; b++)
      kept.set(pairIndex(heat[a], heat[b], n), pairTrend(prepared[heat[a]], prepared[heat[b]], kernel));
  }
  const worstFirst = worstKeeper
    .items()
    .sort((a, b) => (a.score as number) - (b.score as number) || a.index - b.index);
  let worst = 0;
  for (const e of worstFirst) {
    if (kept.has(e.index)) continue;
    kept.set(e.index, e.item);
    worst++;
  }
  let sampled = 0;
  for (const e of reservoir.items()) {
    if (kept.size >= max) break;
    if (kept.has(e.index)) continue;
    kept.set(e.index, e.item);
    sampled++;
  }
  const trends = [...kept.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  const details: PairDetails = {
    total,
    scored,
    detailed: trends.length,
    selection: "bounded",
    heatmapPairs: heat.length < 2 ? 0 : (heat.length * (heat.length - 1)) / 2,
    worst,
    sampled,
    heatmapColumns: heat.map((c) => prepared[c].meta.name),
  };
  return { totals, trends, details };
}

/**
 * SDMetrics' QualityReport: column shapes (KSComplement / TVComplement) and column pair trends
 * (CorrelationSimilarity / ContingencySimilarity), each property the mean of its scores, overall the mean of
 * the two properties. Pairs whose score is undefined (a constant column) are left out of the means, as
 * SDMetrics leaves out NaN scores. Every pair is scored; at most `maxPairDetails` are returned in detail.
 */
export function qualityReport(
  real: Table,
  synthetic: Table,
  metadata: TableMetadata,
  options: QualityOptions = {},
): QualityResult {
  const bins = options.bins ?? DEFAULT_BINS;
  const maxDetails = options.maxPairDetails ?? DEFAULT_MAX_PAIR_DETAILS;
  const prepared = metricColumns(metadata).map((m) => prepare(m, real, synthetic, bins));
  const columnShapes = prepared.map((col) => columnShape(col, real, synthetic));
  const n = prepared.length;
  const total = (n * (n - 1)) / 2;
  const rng = createRng(options.seed ?? 0);
  const rows = n === 0 ? 0 : prepared[0].realCodes.codes.length + prepared[0].syntheticCodes.length;
  const visits = options.maxPairCellVisits ?? MAX_PAIR_CELL_VISITS;
  const sampler = new PairSampler(total, Math.max(1, Math.floor(visits / Math.max(1, rows))), rng);
  const pass =
    total <= maxDetails ? allPairs(prepared, sampler) : boundedPairs(prepared, maxDetails, rng, sampler);
  const { totals } = pass;
  const shapeScore = mean(nonNull(columnShapes.map((s) => s.score)));
  const allPairScore = totals.count === 0 ? null : totals.sum / totals.count;
  const relatedScore = totals.relatedCount === 0 ? null : totals.relatedSum / totals.relatedCount;
  return {
    allPairs: scores(shapeScore, allPairScore),
    relatedPairs: {
      ...scores(shapeScore, relatedScore),
      pairsScored: totals.relatedCount,
      pairsTotal: pass.details.total,
    },
    columnShapes,
    columnPairTrends: pass.trends,
    pairDetails: pass.details,
  };
}
