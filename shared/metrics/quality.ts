import type { Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { binCodes, categoryCodes, DEFAULT_BINS, equalWidthEdges, type Codes } from "./binning.ts";
import { cellsOf, mean, metricColumns, numericColumn, type MetricColumn } from "./columns.ts";
import { contingencySimilarity, cramersV, jointTable } from "./contingency.ts";
import { ksComplement } from "./ks.ts";
import { correlationSimilarity, pearson } from "./pearson.ts";
import { tvComplement } from "./tv.ts";

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
  columnPairTrends: PairTrend[];
}

interface PreparedColumn {
  meta: MetricColumn;
  realNumbers?: Float64Array;
  syntheticNumbers?: Float64Array;
  realCodes: Codes;
  syntheticCodes: Int32Array;
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
    return { meta, realNumbers, syntheticNumbers, realCodes, syntheticCodes };
  }
  const dictionary = new Map<string | null, number>();
  const realCodes = categoryCodes(realCells, dictionary);
  const syntheticCodes = categoryCodes(syntheticCells, dictionary);
  return { meta, realCodes: { codes: realCodes, levels: dictionary.size }, syntheticCodes };
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

function pairTrend(a: PreparedColumn, b: PreparedColumn): PairTrend {
  const la = a.realCodes.levels;
  const lb = b.realCodes.levels;
  const realTable = jointTable(a.realCodes.codes, la, b.realCodes.codes, lb);
  const syntheticTable = jointTable(a.syntheticCodes, la, b.syntheticCodes, lb);
  const realAssociation = cramersV(realTable, la, lb);
  const syntheticAssociation = cramersV(syntheticTable, la, lb);
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
    score: a.realCodes.codes.length === 0 ? null : contingencySimilarity(realTable, syntheticTable),
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

export interface QualityOptions {
  /** Equal-width bins for numerical columns in contingency tables (SDMetrics default 10). */
  bins?: number;
}

/**
 * SDMetrics' QualityReport: column shapes (KSComplement / TVComplement) and column pair trends
 * (CorrelationSimilarity / ContingencySimilarity), each property the mean of its scores, overall the mean of
 * the two properties. Pairs whose score is undefined (a constant column) are left out of the means, as
 * SDMetrics leaves out NaN scores.
 */
export function qualityReport(
  real: Table,
  synthetic: Table,
  metadata: TableMetadata,
  options: QualityOptions = {},
): QualityResult {
  const bins = options.bins ?? DEFAULT_BINS;
  const prepared = metricColumns(metadata).map((m) => prepare(m, real, synthetic, bins));
  const columnShapes = prepared.map((col) => columnShape(col, real, synthetic));
  const columnPairTrends: PairTrend[] = [];
  for (let i = 0; i < prepared.length; i++) {
    for (let j = i + 1; j < prepared.length; j++) columnPairTrends.push(pairTrend(prepared[i], prepared[j]));
  }
  const shapeScore = mean(nonNull(columnShapes.map((s) => s.score)));
  const allPairScore = mean(nonNull(columnPairTrends.map((p) => p.score)));
  const related = columnPairTrends.filter((p) => p.related && p.score !== null);
  const relatedScore = mean(related.map((p) => p.score as number));
  return {
    allPairs: scores(shapeScore, allPairScore),
    relatedPairs: {
      ...scores(shapeScore, relatedScore),
      pairsScored: related.length,
      pairsTotal: columnPairTrends.length,
    },
    columnShapes,
    columnPairTrends,
  };
}
