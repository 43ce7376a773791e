import type { Cell } from "../data/table.ts";
import { categoryKey } from "./columns.ts";

export type Frequencies = Map<string | null, number>;

/** Relative frequency of each category, the missing value (null) counted as a category of its own. */
export function frequencies(cells: readonly Cell[]): Frequencies {
  const counts: Frequencies = new Map();
  for (const cell of cells) {
    const k = categoryKey(cell);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const n = cells.length;
  for (const [k, c] of counts) counts.set(k, c / n);
  return counts;
}

/** Total variation distance 1/2 sum |p - q| over the union of categories. */
export function tvDistance(p: Frequencies, q: Frequencies): number {
  let s = 0;
  for (const [k, pk] of p) s += Math.abs(pk - (q.get(k) ?? 0));
  for (const [k, qk] of q) if (!p.has(k)) s += qk;
  return s / 2;
}

/**
 * SDMetrics TVComplement: 1 - TVD of the category frequencies. SDMetrics regularises categories absent from
 * the real data with a 1e-6 pseudo-count; we use the exact frequencies (the difference is below 1e-6 / n).
 */
export function tvComplement(real: readonly Cell[], synthetic: readonly Cell[]): number | null {
  if (real.length === 0 || synthetic.length === 0) return null;
  // Clamped: summing many shares can leave 1 - TVD a rounding error below 0 when nothing overlaps.
  return Math.max(0, 1 - tvDistance(frequencies(real), frequencies(synthetic)));
}
