import type { Table } from "../data/table.ts";
import type { TableMetadata } from "../data/metadata.ts";
import { synthError } from "../errors.ts";
import { categoryKey, cellsOf, finiteValues, metricColumns, minMax, numericColumn } from "./columns.ts";

/**
 * Distance to closest record, as SDMetrics' dcr_utils defines it: between two rows, the mean over the
 * numerical, datetime, categorical and boolean columns of a per-column distance, where a number's distance is
 * |a - b| / (max - min of the reference column), capped at 1 (0/1 when the reference column is constant), a
 * category's is 0 when equal and 1 otherwise, two missing values are at distance 0 and one missing value at
 * distance 1. The DCR of a row is its distance to the nearest reference row.
 *
 * SDMetrics computes the full n x m distance matrix in chunks. We compute the same minimum exactly with a
 * pruned search that never materialises the matrix: reference rows are grouped by their categorical values
 * (inside a group the categorical part of the distance is one number, the count of mismatching columns), and
 * inside a group sorted by one numerical "key" column, so a query row scans outward from its own key value
 * and stops as soon as the key distance alone cannot beat the best distance found. Groups whose categorical
 * mismatch already reaches the best distance are skipped. When nothing prunes (many independent columns), an
 * exhaustive kernel is faster: chunks of reference rows compared column by column in tight typed-array loops,
 * four query rows at a time, category mismatches counted with bitsets. Both are exact; distances() picks by
 * timing them. Memory is O(n + m).
 */

interface NumericColumnSpec {
  name: string;
  range: number;
}

interface CategoricalColumnSpec {
  name: string;
  /** Category key -> code; grows as query tables bring categories the reference lacks. */
  dictionary: Map<string | null, number>;
  /** A constant (or all-missing) numerical column compares values exactly, like a category. */
  numericValues: boolean;
}

export interface EncodedRows {
  rows: number;
  /** rows x p numeric values divided by the reference range (NaN = missing). */
  scaled: Float64Array;
  /** rows x p raw numeric values, for the relative copy tolerance. */
  raw: Float64Array;
  /** rows x q category codes. */
  codes: Int32Array;
}

/** The tolerance under which a synthetic number counts as copying a real one (1% relative). */
export const COPY_RELATIVE_TOLERANCE = 0.01;

/** From this many categorical columns on, the exhaustive kernel counts category mismatches with bitsets. */
const BITSET_MIN_COLUMNS = 6;
const BITSET_MAX_WORDS = 8 << 20;

export interface DistanceOptions {
  /** "auto" times both exact strategies on a few rows now and then and runs the faster; the others force one. */
  strategy?: "auto" | "pruned" | "exhaustive";
  now?: () => number;
}

function numericKey(value: number): string | null {
  return Number.isNaN(value) ? null : String(value);
}

export class DcrIndex {
  readonly numeric: NumericColumnSpec[] = [];
  readonly categorical: CategoricalColumnSpec[] = [];
  /** Number of columns the distance averages over. */
  readonly width: number;
  private readonly reference: EncodedRows;
  private readonly keyColumn: number;
  private readonly groupIndex = new Map<string, number>();
  private readonly groupCodes: Int32Array;
  /** Group g owns sorted positions [groupStart[g], groupNan[g]) with a key value and [groupNan[g], groupStart[g+1]) without. */
  private readonly groupStart: Int32Array;
  private readonly groupNan: Int32Array;
  private readonly sortedScaled: Float64Array;
  private readonly sortedRaw: Float64Array;
  private readonly sortedKey: Float64Array;
  private readonly sortedRawKey: Float64Array;
  /** Column-major copies of the reference for the exhaustive kernel. */
  private readonly refColumns: Float64Array[] = [];
  private readonly refHasMissing: boolean[] = [];
  private readonly refCodes: Int32Array[] = [];
  /**
   * With many categorical columns, levelBits[c][code] is the set of reference rows having that code in column c,
   * one bit per row: a query's match count with every reference row is then a sum of q bitsets, kept in
   * bit-sliced counters (32 rows per integer operation) instead of q comparisons per row.
   */
  private readonly levelBits: Uint32Array[][] | null = null;
  private mismatchScratch: { counts: Uint16Array[]; planes: Uint32Array[] } | undefined;

  constructor(reference: Table, metadata: TableMetadata) {
    for (const col of metricColumns(metadata)) {
      const cells = cellsOf(reference, col.name, "reference");
      if (col.kind === "continuous") {
        const values = finiteValues(numericColumn(cells));
        const { min, max } = minMax(values);
        const range = max - min;
        if (values.length > 0 && range > 0 && Number.isFinite(range)) {
          this.numeric.push({ name: col.name, range });
          continue;
        }
        this.categorical.push({ name: col.name, dictionary: new Map(), numericValues: true });
      } else {
        this.categorical.push({ name: col.name, dictionary: new Map(), numericValues: false });
      }
    }
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
    this.keyColumn = this.pickKeyColumn();
    {
      const n = this.reference.rows;
      const p = this.numeric.length;
      const q = this.categorical.length;
      for (let k = 0; k < p; k++) {
        const col = new Float64Array(n);
        let missing = false;
        for (let i = 0; i < n; i++) {
          col[i] = this.reference.scaled[i * p + k];
          if (col[i] !== col[i]) missing = true;
        }
        this.refColumns.push(col);
        this.refHasMissing.push(missing);
      }
      for (let c = 0; c < q; c++) {
        const col = new Int32Array(n);
        for (let i = 0; i < n; i++) col[i] = this.reference.codes[i * q + c];
        this.refCodes.push(col);
      }
      const words = (n + 31) >>> 5;
      const levelCount = this.categorical.reduce((sum, c) => sum + c.dictionary.size, 0);
      // One bitset per level: skipped when high-cardinality columns would make them large (over 32 MB).
      if (q >= BITSET_MIN_COLUMNS && levelCount * words <= BITSET_MAX_WORDS) {
        this.levelBits = this.refCodes.map((col, c) => {
          const sets = Array.from(
            { length: this.categorical[c].dictionary.size },
            () => new Uint32Array(words),
          );
          for (let i = 0; i < n; i++) sets[col[i]][i >>> 5] |= 1 << (i & 31);
          return sets;
        });
      }
    }

    const n = this.reference.rows;
    const p = this.numeric.length;
    const q = this.categorical.length;
    const groupOf = new Int32Array(n);
    const groupKeys: number[] = [];
    for (let i = 0; i < n; i++) {
      const key = Array.from(this.reference.codes.subarray(i * q, i * q + q)).join(",");
      let g = this.groupIndex.get(key);
      if (g === undefined) {
        g = this.groupIndex.size;
        this.groupIndex.set(key, g);
        for (let c = 0; c < q; c++) groupKeys.push(this.reference.codes[i * q + c]);
      }
      groupOf[i] = g;
    }
    const groups = this.groupIndex.size;
    this.groupCodes = Int32Array.from(groupKeys);
    const keyOf = (i: number): number =>
      this.keyColumn < 0 ? 0 : this.reference.scaled[i * p + this.keyColumn];
    // Order rows by group, then key value, missing keys last inside their group.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
      if (groupOf[a] !== groupOf[b]) return groupOf[a] - groupOf[b];
      const ka = keyOf(a);
      const kb = keyOf(b);
      const na = Number.isNaN(ka);
      const nb = Number.isNaN(kb);
      if (na || nb) return na === nb ? 0 : na ? 1 : -1;
      return ka - kb;
    });
    this.groupStart = new Int32Array(groups + 1);
    this.groupNan = new Int32Array(groups);
    this.sortedScaled = new Float64Array(n * p);
    this.sortedRaw = new Float64Array(n * p);
    this.sortedKey = new Float64Array(n);
    this.sortedRawKey = new Float64Array(n);
    this.groupNan.fill(-1);
    for (let pos = 0; pos < n; pos++) {
      const i = order[pos];
      const g = groupOf[i];
      if (pos === 0 || groupOf[order[pos - 1]] !== g) this.groupStart[g] = pos;
      for (let k = 0; k < p; k++) {
        this.sortedScaled[pos * p + k] = this.reference.scaled[i * p + k];
        this.sortedRaw[pos * p + k] = this.reference.raw[i * p + k];
      }
      const key = keyOf(i);
      this.sortedKey[pos] = key;
      this.sortedRawKey[pos] = this.keyColumn < 0 ? 0 : this.reference.raw[i * p + this.keyColumn];
      if (Number.isNaN(key) && this.groupNan[g] < 0) this.groupNan[g] = pos;
    }
    this.groupStart[groups] = n;
    for (let g = 0; g < groups; g++) if (this.groupNan[g] < 0) this.groupNan[g] = this.groupStart[g + 1];
  }

  get referenceRows(): number {
    return this.reference.rows;
  }

  /** The numeric column with the most distinct reference values prunes best as the sort key. */
  private pickKeyColumn(): number {
    const p = this.numeric.length;
    let best = -1;
    let bestDistinct = -1;
    for (let k = 0; k < p; k++) {
      const seen = new Set<number>();
      for (let i = 0; i < this.reference.rows; i++) seen.add(this.reference.scaled[i * p + k]);
      if (seen.size > bestDistinct) {
        bestDistinct = seen.size;
        best = k;
      }
    }
    return best;
  }

  encode(table: Table): EncodedRows {
    const rows = table.data.length === 0 ? 0 : table.data[0].length;
    const p = this.numeric.length;
    const q = this.categorical.length;
    const scaled = new Float64Array(rows * p);
    const raw = new Float64Array(rows * p);
    const codes = new Int32Array(rows * q);
    this.numeric.forEach((spec, k) => {
      const values = numericColumn(cellsOf(table, spec.name, "compared"));
      for (let i = 0; i < rows; i++) {
        raw[i * p + k] = values[i];
        scaled[i * p + k] = values[i] / spec.range;
      }
    });
    this.categorical.forEach((spec, c) => {
      const cells = cellsOf(table, spec.name, "compared");
      const numbers = spec.numericValues ? numericColumn(cells) : null;
      for (let i = 0; i < rows; i++) {
        const key = numbers ? numericKey(numbers[i]) : categoryKey(cells[i]);
        let code = spec.dictionary.get(key);
        if (code === undefined) {
          code = spec.dictionary.size;
          spec.dictionary.set(key, code);
        }
        codes[i * q + c] = code;
      }
    });
    return { rows, scaled, raw, codes };
  }

  /** Sum of capped numeric distances between query row `s` and sorted reference position `pos`, stopping at `limit`. */
  private numericSum(query: Float64Array, s: number, pos: number, limit: number): number {
    const p = this.numeric.length;
    const ref = this.sortedScaled;
    let acc = 0;
    for (let k = 0; k < p; k++) {
      const a = query[s * p + k];
      const b = ref[pos * p + k];
      let d = a - b;
      if (d < 0) d = -d;
      if (d > 1) d = 1;
      if (d !== d) d = a !== a && b !== b ? 0 : 1;
      acc += d;
      if (acc >= limit) return acc;
    }
    return acc;
  }

  /** Best (smallest) distance sum in group g, given its categorical mismatch count and the best so far. */
  private scanGroup(
    g: number,
    mismatches: number,
    query: Float64Array,
    s: number,
    bestUnits: number,
  ): number {
    let budget = bestUnits - mismatches;
    if (budget <= 0) return bestUnits;
    const start = this.groupStart[g];
    const nanStart = this.groupNan[g];
    const end = this.groupStart[g + 1];
    const p = this.numeric.length;
    if (p === 0) return mismatches < bestUnits ? mismatches : bestUnits;
    // Reference rows whose key is missing: no order to exploit, scan them all.
    for (let pos = nanStart; pos < end; pos++) {
      const d = this.numericSum(query, s, pos, budget);
      if (d < budget) budget = d;
    }
    const key = query[s * p + this.keyColumn];
    if (key !== key) {
      // A missing query key is at distance 1 from every present key.
      if (1 < budget) {
        for (let pos = start; pos < nanStart; pos++) {
          const d = this.numericSum(query, s, pos, budget);
          if (d < budget) budget = d;
        }
      }
      return mismatches + budget;
    }
    let lo = start;
    let hi = nanStart;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sortedKey[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    let left = lo - 1;
    let right = lo;
    const keys = this.sortedKey;
    while (left >= start || right < nanStart) {
      const dl = left >= start ? key - keys[left] : Infinity;
      const dr = right < nanStart ? keys[right] - key : Infinity;
      let pos: number;
      let dk: number;
      if (dl <= dr) {
        pos = left--;
        dk = dl;
      } else {
        pos = right++;
        dk = dr;
      }
      // Every row not yet visited is at least this far on the key column alone.
      if ((dk > 1 ? 1 : dk) >= budget) break;
      const d = this.numericSum(query, s, pos, budget);
      if (d < budget) budget = d;
    }
    return mismatches + budget;
  }

  /** Smallest distance sum (not yet divided by the width) from query row s, by the pruned group search. */
  private prunedRow(query: EncodedRows, s: number): number {
    const q = this.categorical.length;
    const groups = this.groupStart.length - 1;
    const gc = this.groupCodes;
    const codes = query.codes;
    const at = s * q;
    let key = "";
    for (let c = 0; c < q; c++) key += c === 0 ? String(codes[at]) : `,${codes[at + c]}`;
    const own = this.groupIndex.get(key);
    let best = Infinity;
    if (own !== undefined) best = this.scanGroup(own, 0, query.scaled, s, best);
    for (let g = 0; g < groups && best > 0; g++) {
      if (g === own) continue;
      let m = 0;
      const base = g * q;
      for (let c = 0; c < q; c++) {
        if (gc[base + c] !== codes[at + c] && ++m >= best) break;
      }
      if (m >= best) continue;
      best = this.scanGroup(g, m, query.scaled, s, best);
    }
    return best;
  }

  /**
   * The same minimum by exhaustive comparison, for up to four query rows at once (each reference value is
   * loaded once for the four), column by column over chunks of reference rows: tight loops over typed arrays.
   * Faster than the pruned search when nothing prunes (many independent columns, where every reference row is
   * about as far as every other). Writes the distance sums of rows s0 .. s0+count-1 into `best`.
   */
  /** Categorical mismatches of query row s with every reference row, by bit-sliced counting of matches. */
  private mismatchCounts(query: EncodedRows, s: number, out: Uint16Array, planes: Uint32Array[]): void {
    const bits = this.levelBits!;
    const q = this.categorical.length;
    const n = this.reference.rows;
    const words = (n + 31) >>> 5;
    const depth = planes.length;
    for (const plane of planes) plane.fill(0);
    for (let c = 0; c < q; c++) {
      const set = bits[c][query.codes[s * q + c]];
      if (set === undefined) continue; // a category the reference lacks matches no row
      for (let w = 0; w < words; w++) {
        let carry = set[w];
        for (let j = 0; j < depth && carry !== 0; j++) {
          const plane = planes[j];
          const t = plane[w] & carry;
          plane[w] ^= carry;
          carry = t;
        }
      }
    }
    for (let w = 0; w < words; w++) {
      const base = w << 5;
      const end = Math.min(32, n - base);
      for (let b = 0; b < end; b++) {
        let matches = 0;
        for (let j = 0; j < depth; j++) matches |= ((planes[j][w] >>> b) & 1) << j;
        out[base + b] = q - matches;
      }
    }
  }

  private bruteRows(
    query: EncodedRows,
    s0: number,
    count: number,
    acc: Float64Array[],
    best: Float64Array,
  ): void {
    const p = this.numeric.length;
    const q = this.categorical.length;
    const n = this.reference.rows;
    const chunk = acc[0].length;
    const [a0, a1, a2, a3] = acc;
    best.fill(Infinity);
    const qs = (t: number, k: number): number => (t < count ? query.scaled[(s0 + t) * p + k] : 0);
    const qc = (t: number, c: number): number => (t < count ? query.codes[(s0 + t) * q + c] : -1);
    const bitsets = this.levelBits !== null;
    if (bitsets) {
      this.mismatchScratch ??= {
        counts: [0, 1, 2, 3].map(() => new Uint16Array(n)),
        planes: Array.from({ length: Math.ceil(Math.log2(q + 1)) }, () => new Uint32Array((n + 31) >>> 5)),
      };
      for (let t = 0; t < count; t++)
        this.mismatchCounts(query, s0 + t, this.mismatchScratch.counts[t], this.mismatchScratch.planes);
    }
    for (let start = 0; start < n; start += chunk) {
      const len = Math.min(n, start + chunk) - start;
      if (bitsets) {
        for (let t = 0; t < 4; t++) {
          if (t < count) acc[t].set(this.mismatchScratch!.counts[t].subarray(start, start + len));
          else acc[t].fill(0, 0, len);
        }
      } else for (let t = 0; t < 4; t++) acc[t].fill(0, 0, len);
      for (let k = 0; k < p; k++) {
        const col = this.refColumns[k];
        const v0 = qs(0, k);
        const v1 = qs(1, k);
        const v2 = qs(2, k);
        const v3 = qs(3, k);
        if (!this.refHasMissing[k] && v0 === v0 && v1 === v1 && v2 === v2 && v3 === v3) {
          for (let r = 0; r < len; r++) {
            const b = col[start + r];
            let d0 = v0 - b;
            let d1 = v1 - b;
            let d2 = v2 - b;
            let d3 = v3 - b;
            if (d0 < 0) d0 = -d0;
            if (d1 < 0) d1 = -d1;
            if (d2 < 0) d2 = -d2;
            if (d3 < 0) d3 = -d3;
            a0[r] += d0 > 1 ? 1 : d0;
            a1[r] += d1 > 1 ? 1 : d1;
            a2[r] += d2 > 1 ? 1 : d2;
            a3[r] += d3 > 1 ? 1 : d3;
          }
          continue;
        }
        for (let t = 0; t < count; t++) {
          const a = qs(t, k);
          const out = acc[t];
          for (let r = 0; r < len; r++) {
            const b = col[start + r];
            let d = a - b;
            if (d < 0) d = -d;
            if (d > 1) d = 1;
            out[r] += d === d ? d : a !== a && b !== b ? 0 : 1;
          }
        }
      }
      for (let c = 0; c < (bitsets ? 0 : q); c++) {
        const col = this.refCodes[c];
        const v0 = qc(0, c);
        const v1 = qc(1, c);
        const v2 = qc(2, c);
        const v3 = qc(3, c);
        for (let r = 0; r < len; r++) {
          const b = col[start + r];
          a0[r] += b === v0 ? 0 : 1;
          a1[r] += b === v1 ? 0 : 1;
          a2[r] += b === v2 ? 0 : 1;
          a3[r] += b === v3 ? 0 : 1;
        }
      }
      for (let t = 0; t < count; t++) {
        const out = acc[t];
        let m = best[t];
        for (let r = 0; r < len; r++) if (out[r] < m) m = out[r];
        best[t] = m;
      }
    }
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
    const acc = [0, 1, 2, 3].map(() => new Float64Array(2048));
    const block = new Float64Array(4);
    const bruteFrom = (s: number): number => {
      const count = Math.min(4, rows - s);
      this.bruteRows(query, s, count, acc, block);
      for (let t = 0; t < count; t++) out[s + t] = block[t] / this.width;
      return s + count;
    };
    let s = 0;
    if (strategy === "exhaustive") {
      while (s < rows) s = bruteFrom(s);
      return out;
    }
    if (strategy === "pruned") {
      for (; s < rows; s++) out[s] = this.prunedRow(query, s) / this.width;
      return out;
    }
    // Probe both on a few rows, run the faster on the next rows, probe again: JIT warm-up and machine load
    // make a single early probe unreliable.
    const prunedFrom = (from: number, count: number): number => {
      const to = Math.min(rows, from + count);
      for (let i = from; i < to; i++) out[i] = this.prunedRow(query, i) / this.width;
      return to;
    };
    const bruteFromTo = (from: number, count: number): number => {
      const to = Math.min(rows, from + count);
      let i = from;
      while (i < to) i = bruteFrom(i);
      return i;
    };
    // Warm both up first (the first calls pay for compilation), then probe; the batch between probes doubles,
    // so probing costs a few rows however large the table. Pruning, the usual winner, keeps the rows unless
    // the exhaustive kernel is clearly faster.
    s = bruteFromTo(prunedFrom(0, 64), 4);
    let batch = 256;
    while (s < rows) {
      const t0 = now();
      const a = prunedFrom(s, 16);
      const t1 = now();
      const b = bruteFromTo(a, 4);
      const t2 = now();
      const prunedPerRow = (t1 - t0) / Math.max(1, a - s);
      const brutePerRow = (t2 - t1) / Math.max(1, b - a);
      s = brutePerRow < 0.7 * prunedPerRow ? bruteFromTo(b, batch) : prunedFrom(b, batch);
      batch *= 2;
    }
    return out;
  }

  /**
   * For every row of `table`, whether some reference row has the same categories and every number within
   * 1% of the reference value (|s - r| <= 0.01 |r|; missing matches missing).
   */
  copies(table: Table, tolerance = COPY_RELATIVE_TOLERANCE): Uint8Array {
    const query = this.encode(table);
    const p = this.numeric.length;
    const q = this.categorical.length;
    const out = new Uint8Array(query.rows);
    const close = (a: number, b: number): boolean =>
      a !== a || b !== b ? a !== a && b !== b : Math.abs(a - b) <= tolerance * Math.abs(b);
    const rowMatches = (s: number, pos: number): boolean => {
      for (let k = 0; k < p; k++) if (!close(query.raw[s * p + k], this.sortedRaw[pos * p + k])) return false;
      return true;
    };
    for (let s = 0; s < query.rows; s++) {
      const g = this.groupIndex.get(Array.from(query.codes.subarray(s * q, s * q + q)).join(","));
      if (g === undefined) continue;
      const start = this.groupStart[g];
      const nanStart = this.groupNan[g];
      const end = this.groupStart[g + 1];
      if (p === 0) {
        out[s] = 1;
        continue;
      }
      const key = query.raw[s * p + this.keyColumn];
      if (key !== key) {
        for (let pos = nanStart; pos < end && !out[s]; pos++) if (rowMatches(s, pos)) out[s] = 1;
        continue;
      }
      // |key - r| <= tol |r| bounds r to [key / (1 + tol), key / (1 - tol)] (swapped for negative keys).
      const a = key / (1 + tolerance);
      const b = key / (1 - tolerance);
      const low = Math.min(a, b) - Math.abs(key) * 1e-12;
      const high = Math.max(a, b) + Math.abs(key) * 1e-12;
      let lo = start;
      let hi = nanStart;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.sortedRawKey[mid] < low) lo = mid + 1;
        else hi = mid;
      }
      for (let pos = lo; pos < nanStart && this.sortedRawKey[pos] <= high; pos++) {
        if (rowMatches(s, pos)) {
          out[s] = 1;
          break;
        }
      }
    }
    return out;
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
