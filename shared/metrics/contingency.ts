/**
 * Joint distribution of two coded columns, normalised by the row count, as a flat Float64Array of
 * levelsA x levelsB cells.
 */
export function contingency(a: Int32Array, levelsA: number, b: Int32Array, levelsB: number): Float64Array {
  const table = new Float64Array(levelsA * levelsB);
  const n = a.length;
  for (let i = 0; i < n; i++) table[a[i] * levelsB + b[i]] += 1;
  if (n > 0) for (let k = 0; k < table.length; k++) table[k] /= n;
  return table;
}

/** Above this many cells (levelsA x levelsB) a joint table is kept sparse: high-cardinality categories. */
export const DENSE_CELL_LIMIT = 1 << 20;

/** A normalised joint table: dense cells, or the non-zero cells keyed by a * levelsB + b. */
export type JointTable = Float64Array | Map<number, number>;

export function jointTable(a: Int32Array, levelsA: number, b: Int32Array, levelsB: number): JointTable {
  if (levelsA * levelsB <= DENSE_CELL_LIMIT) return contingency(a, levelsA, b, levelsB);
  const cells = new Map<number, number>();
  const n = a.length;
  for (let i = 0; i < n; i++) {
    const key = a[i] * levelsB + b[i];
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  for (const [k, v] of cells) cells.set(k, v / n);
  return cells;
}

/**
 * SDMetrics ContingencySimilarity: 1 - TVD between the normalised contingency tables of the real and the
 * synthetic pair (numerical columns already cut into bins over the real range).
 */
export function contingencySimilarity(real: JointTable, synthetic: JointTable): number {
  let s = 0;
  if (real instanceof Float64Array && synthetic instanceof Float64Array) {
    for (let k = 0; k < real.length; k++) s += Math.abs(real[k] - synthetic[k]);
    return Math.max(0, 1 - s / 2);
  }
  const r = real as Map<number, number>;
  const y = synthetic as Map<number, number>;
  for (const [k, v] of r) s += Math.abs(v - (y.get(k) ?? 0));
  for (const [k, v] of y) if (!r.has(k)) s += v;
  // Clamped: summing many shares can leave 1 - TVD a rounding error below 0 when nothing overlaps.
  return Math.max(0, 1 - s / 2);
}

/** Cramér's V of a sparse table: chi2 = sum O^2 / E - total over the non-zero cells. */
function sparseCramersV(table: Map<number, number>, levelsA: number, levelsB: number): number | null {
  const rowSum = new Float64Array(levelsA);
  const colSum = new Float64Array(levelsB);
  let total = 0;
  for (const [k, v] of table) {
    rowSum[Math.floor(k / levelsB)] += v;
    colSum[k % levelsB] += v;
    total += v;
  }
  let rows = 0;
  let cols = 0;
  for (const v of rowSum) if (v > 0) rows++;
  for (const v of colSum) if (v > 0) cols++;
  const minDim = Math.min(rows, cols) - 1;
  if (minDim < 1 || total <= 0) return null;
  let sum = 0;
  for (const [k, v] of table)
    sum += (v * v * total) / (rowSum[Math.floor(k / levelsB)] * colSum[k % levelsB]);
  const chi2 = Math.max(0, sum - total);
  return Math.sqrt(chi2 / total / minDim);
}

/**
 * Cramér's V of a contingency table (counts or proportions), without continuity correction, over the rows
 * and columns that occur: scipy.stats.contingency.association(method="cramer") on the observed table, as
 * SDMetrics' real_association_threshold uses it. Null when fewer than two rows or columns occur.
 */
export function cramersV(table: JointTable, levelsA: number, levelsB: number): number | null {
  if (!(table instanceof Float64Array)) return sparseCramersV(table, levelsA, levelsB);
  const rowSum = new Float64Array(levelsA);
  const colSum = new Float64Array(levelsB);
  let total = 0;
  for (let i = 0; i < levelsA; i++) {
    for (let j = 0; j < levelsB; j++) {
      const v = table[i * levelsB + j];
      rowSum[i] += v;
      colSum[j] += v;
      total += v;
    }
  }
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < levelsA; i++) if (rowSum[i] > 0) rows++;
  for (let j = 0; j < levelsB; j++) if (colSum[j] > 0) cols++;
  const minDim = Math.min(rows, cols) - 1;
  if (minDim < 1 || total <= 0) return null;
  let chi2 = 0;
  for (let i = 0; i < levelsA; i++) {
    if (rowSum[i] === 0) continue;
    for (let j = 0; j < levelsB; j++) {
      if (colSum[j] === 0) continue;
      const expected = (rowSum[i] * colSum[j]) / total;
      const d = table[i * levelsB + j] - expected;
      chi2 += (d * d) / expected;
    }
  }
  return Math.sqrt(chi2 / total / minDim);
}
