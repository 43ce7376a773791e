import type { Cell } from "../data/table.ts";
import { categoryKey, finiteValues, minMax } from "./columns.ts";

export const DEFAULT_BINS = 10;

/**
 * Equal-width bin edges over the real values, exactly as numpy.histogram_bin_edges(values, bins) computes
 * them (edge i = start + i * (stop - start) / bins, last edge = stop; a constant column widens to +-0.5),
 * so fixture values computed with numpy match bit for bit.
 */
export function equalWidthEdges(values: Float64Array, bins = DEFAULT_BINS): Float64Array | null {
  const finite = finiteValues(values);
  if (finite.length === 0) return null;
  let { min, max } = minMax(finite);
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const step = (max - min) / bins;
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = i * step + min;
  edges[bins] = max;
  return edges;
}

/**
 * Bin index of a value: the bin [edge_i, edge_i+1) containing it, the last bin closed, values outside the
 * real range falling into the outer bins (numpy.digitize on the inner edges). Missing values get index
 * `bins` (a category of their own, as pandas groupby(dropna=False) keeps them).
 */
export function binIndex(value: number, edges: Float64Array): number {
  const bins = edges.length - 1;
  if (value !== value) return bins;
  // Binary search over the inner edges 1..bins-1: count of inner edges <= value.
  let lo = 1;
  let hi = bins;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Integer codes of a column for contingency tables, plus the number of distinct codes. */
export interface Codes {
  codes: Int32Array;
  levels: number;
}

export function binCodes(values: Float64Array, edges: Float64Array): Codes {
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = binIndex(values[i], edges);
  return { codes, levels: edges.length };
}

/** Codes of a discrete column on a shared dictionary (the real and synthetic sides use the same one). */
export function categoryCodes(cells: readonly Cell[], dictionary: Map<string | null, number>): Int32Array {
  const codes = new Int32Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const k = categoryKey(cells[i]);
    let code = dictionary.get(k);
    if (code === undefined) {
      code = dictionary.size;
      dictionary.set(k, code);
    }
    codes[i] = code;
  }
  return codes;
}
