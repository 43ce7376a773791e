import type { Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { synthError } from "../errors.ts";
import {
  columnSpecs,
  encodeRows,
  type CategoricalColumnSpec,
  type EncodedRows,
  type NumericColumnSpec,
} from "./dcr-encoding.ts";
import { EXHAUSTIVE_CHUNK, ExhaustiveSearch } from "./dcr-exhaustive.ts";
import { PrunedSearch } from "./dcr-pruned.ts";

export type { EncodedRows } from "./dcr-encoding.ts";

/**
 * Distance to closest record, as SDMetrics' dcr_utils defines it: between two rows, the mean over the
 * numerical, datetime, categorical and boolean columns of a per-column distance, where a number's distance is
 * |a - b| / (max - min of the reference column), capped at 1 (0/1 when the reference column is constant), a
 * category's is 0 when equal and 1 otherwise, two missing values are at distance 0 and one missing value at
 * distance 1. The DCR of a row is its distance to the nearest reference row.
 *
 * SDMetrics computes the full n x m distance matrix in chunks. We compute the same minimum exactly, in O(n + m)
 * memory, by two strategies: a pruned search over reference rows grouped by category and sorted by a key
 * column (dcr-pruned.ts), and an exhaustive kernel over column-major chunks (dcr-exhaustive.ts). Both are exact;
 * distances() here picks between them by timing them as it goes.
 */

/** The tolerance under which a synthetic number counts as copying a real one (1% relative). */
export const COPY_RELATIVE_TOLERANCE = 0.01;

export interface DistanceOptions {
  /** "auto" times both exact strategies on a few rows now and then and runs the faster; the others force one. */
  strategy?: "auto" | "pruned" | "exhaustive";
  now?: () => number;
}

export class DcrIndex {
  readonly numeric: NumericColumnSpec[];
  readonly categorical: CategoricalColumnSpec[];
  /** Number of columns the distance averages over. */
  readonly width: number;
  private readonly reference: EncodedRows;
  private readonly pruned: PrunedSearch;
  private readonly exhaustive: ExhaustiveSearch;

  constructor(reference: Table, metadata: TableMetadata) {
    ({ numeric: this.numeric, categorical: this.categorical } = columnSpecs(reference, metadata));
    this.width = this.numeric.length + this.categorical.length;
    if (this.width === 0) {
      throw synthError(
        "INCOMPATIBLE_TABLES",
        "no numerical, datetime, categorical or boolean column to measure",
      );
    }
    this.reference = this.encode(reference);
    if (this.reference.rows === 0) {
      throw synthError("INCOMPATIBLE_TABLES", "the reference table for distances has no rows");
    }
    const p = this.numeric.length;
    const q = this.categorical.length;
    const levels = this.categorical.map((c) => c.dictionary.size);
    this.exhaustive = new ExhaustiveSearch(this.reference, p, q, levels);
    this.pruned = new PrunedSearch(this.reference, p, q);
  }

  get referenceRows(): number {
    return this.reference.rows;
  }

  encode(table: Table): EncodedRows {
    return encodeRows(table, this.numeric, this.categorical);
  }

  /**
   * DCR of every row of `table` to the reference rows. Both strategies are exact; "auto" times each on a few
   * rows now and then and runs the faster one in between (pruning wins by orders of magnitude on real tables,
   * whose rows cluster; exhaustive comparison wins on high-dimensional noise).
   */
  distances(table: Table, options: DistanceOptions = {}): Float64Array {
    const strategy = options.strategy ?? "auto";
    const now = options.now ?? (() => performance.now());
    const query = this.encode(table);
    const rows = query.rows;
    const out = new Float64Array(rows);
    const prunedFrom = (from: number, count: number): number => {
      const to = Math.min(rows, from + count);
      for (let i = from; i < to; i++) out[i] = this.pruned.nearest(query, i) / this.width;
      return to;
    };
    const acc = [0, 1, 2, 3].map(() => new Float64Array(EXHAUSTIVE_CHUNK));
    const block = new Float64Array(4);
    const exhaustive4 = (s: number): number => {
      const count = Math.min(4, rows - s);
      this.exhaustive.nearest4(query, s, count, acc, block);
      for (let t = 0; t < count; t++) out[s + t] = block[t] / this.width;
      return s + count;
    };
    const exhaustiveFrom = (from: number, count: number): number => {
      const to = Math.min(rows, from + count);
      let i = from;
      while (i < to) i = exhaustive4(i);
      return i;
    };
    if (strategy === "exhaustive") {
      exhaustiveFrom(0, rows);
      return out;
    }
    if (strategy === "pruned") {
      prunedFrom(0, rows);
      return out;
    }
    // Probe both on a few rows, run the faster on the next rows, probe again: JIT warm-up and machine load
    // make a single early probe unreliable. Warm both up first (the first calls pay for compilation), then
    // probe; the batch between probes doubles, so probing costs a few rows however large the table. Pruning,
    // the usual winner, keeps the rows unless the exhaustive kernel is clearly faster.
    let s = exhaustiveFrom(prunedFrom(0, 64), 4);
    let batch = 256;
    while (s < rows) {
      const t0 = now();
      const a = prunedFrom(s, 16);
      const t1 = now();
      const b = exhaustiveFrom(a, 4);
      const t2 = now();
      const prunedPerRow = (t1 - t0) / Math.max(1, a - s);
      const exhaustivePerRow = (t2 - t1) / Math.max(1, b - a);
      s = exhaustivePerRow < 0.7 * prunedPerRow ? exhaustiveFrom(b, batch) : prunedFrom(b, batch);
      batch *= 2;
    }
    return out;
  }

  /**
   * For every row of `table`, whether some reference row has the same categories and every number within
   * 1% of the reference value (|s - r| <= 0.01 |r|; missing matches missing).
   */
  copies(table: Table, tolerance = COPY_RELATIVE_TOLERANCE): Uint8Array {
    return this.pruned.copies(this.encode(table), tolerance);
  }
}

/** The plain O(n m) definition, for tests and for checking the index on small tables. */
export function bruteForceDcr(query: Table, reference: Table, metadata: TableMetadata): Float64Array {
  const index = new DcrIndex(reference, metadata);
  const ref = index.encode(reference);
  const qry = index.encode(query);
  const p = index.numeric.length;
  const q = index.categorical.length;
  const out = new Float64Array(qry.rows);
  for (let s = 0; s < qry.rows; s++) {
    let best = Infinity;
    for (let r = 0; r < ref.rows; r++) {
      let sum = 0;
      for (let k = 0; k < p; k++) {
        const a = qry.scaled[s * p + k];
        const b = ref.scaled[r * p + k];
        if (Number.isNaN(a) || Number.isNaN(b)) sum += Number.isNaN(a) && Number.isNaN(b) ? 0 : 1;
        else sum += Math.min(Math.abs(a - b), 1);
      }
      for (let c = 0; c < q; c++) if (qry.codes[s * q + c] !== ref.codes[r * q + c]) sum += 1;
      if (sum < best) best = sum;
    }
    out[s] = best / index.width;
  }
  return out;
}
