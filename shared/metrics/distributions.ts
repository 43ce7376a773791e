import type { Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { categoryKey, cellsOf, finiteValues, metricColumns, minMax, numericColumn } from "./columns.ts";

/** What the report plots for one column: real and synthetic shares side by side. */
export type ColumnDistribution =
  | {
      column: string;
      sdtype: string;
      kind: "histogram";
      /** Bin edges over the real range; synthetic values outside it are counted in below / above. */
      edges: number[];
      real: number[];
      synthetic: number[];
      syntheticBelow: number;
      syntheticAbove: number;
      realMissing: number;
      syntheticMissing: number;
    }
  | {
      column: string;
      sdtype: string;
      kind: "categories";
      /** The most frequent categories (null = missing), then everything else summed in other*. */
      categories: (string | null)[];
      real: number[];
      synthetic: number[];
      otherReal: number;
      otherSynthetic: number;
    };

const HISTOGRAM_BINS = 20;
const MAX_CATEGORIES = 20;

function histogram(
  column: string,
  sdtype: string,
  realCells: Table["data"][number],
  synCells: Table["data"][number],
): ColumnDistribution {
  const real = numericColumn(realCells);
  const syn = numericColumn(synCells);
  const realFinite = finiteValues(real);
  const synFinite = finiteValues(syn);
  let { min, max } = realFinite.length ? minMax(realFinite) : minMax(synFinite);
  if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  }
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const width = (max - min) / HISTOGRAM_BINS;
  const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) =>
    i === HISTOGRAM_BINS ? max : min + i * width,
  );
  const count = (values: Float64Array) => {
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    let below = 0;
    let above = 0;
    for (const v of values) {
      if (v < min) below++;
      else if (v > max) above++;
      else counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) / width))]++;
    }
    const n = values.length || 1;
    return { shares: counts.map((c) => c / n), below: below / n, above: above / n };
  };
  const r = count(realFinite);
  const s = count(synFinite);
  return {
    column,
    sdtype,
    kind: "histogram",
    edges,
    real: r.shares,
    synthetic: s.shares,
    syntheticBelow: s.below,
    syntheticAbove: s.above,
    realMissing: real.length ? 1 - realFinite.length / real.length : 0,
    syntheticMissing: syn.length ? 1 - synFinite.length / syn.length : 0,
  };
}

function categories(
  column: string,
  sdtype: string,
  realCells: Table["data"][number],
  synCells: Table["data"][number],
): ColumnDistribution {
  const share = (cells: Table["data"][number]) => {
    const m = new Map<string | null, number>();
    for (const c of cells) {
      const k = categoryKey(c);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    for (const [k, v] of m) m.set(k, v / (cells.length || 1));
    return m;
  };
  const r = share(realCells);
  const s = share(synCells);
  const keys = [...new Set([...r.keys(), ...s.keys()])].sort(
    (a, b) => (r.get(b) ?? 0) + (s.get(b) ?? 0) / 1e3 - ((r.get(a) ?? 0) + (s.get(a) ?? 0) / 1e3),
  );
  const shown = keys.slice(0, MAX_CATEGORIES);
  const rest = keys.slice(MAX_CATEGORIES);
  return {
    column,
    sdtype,
    kind: "categories",
    categories: shown,
    real: shown.map((k) => r.get(k) ?? 0),
    synthetic: shown.map((k) => s.get(k) ?? 0),
    otherReal: rest.reduce((acc, k) => acc + (r.get(k) ?? 0), 0),
    otherSynthetic: rest.reduce((acc, k) => acc + (s.get(k) ?? 0), 0),
  };
}

export function distributions(real: Table, synthetic: Table, metadata: TableMetadata): ColumnDistribution[] {
  return metricColumns(metadata)
    .filter((c) => real.columns.includes(c.name) && synthetic.columns.includes(c.name))
    .map((c) => {
      const r = cellsOf(real, c.name, "real");
      const s = cellsOf(synthetic, c.name, "synthetic");
      return c.kind === "continuous" ? histogram(c.name, c.sdtype, r, s) : categories(c.name, c.sdtype, r, s);
    });
}
