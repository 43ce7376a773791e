import type { EncodedRows } from "./dcr-encoding.ts";

/** From this many categorical columns on, the exhaustive kernel counts category mismatches with bitsets. */
const BITSET_MIN_COLUMNS = 6;
const BITSET_MAX_WORDS = 8 << 20;

/** Reference rows compared per chunk: the accumulators stay in cache. */
export const EXHAUSTIVE_CHUNK = 2048;

/**
 * The exhaustive exact search: every reference row compared with up to four query rows at once (each reference
 * value is loaded once for the four), column by column over chunks of reference rows, in tight loops over
 * column-major typed arrays. Faster than the pruned search when nothing prunes (many independent columns, where
 * every reference row is about as far as every other).
 */
export class ExhaustiveSearch {
  private readonly n: number;
  private readonly p: number;
  private readonly q: number;
  /** Column-major copies of the reference. */
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
  /** `levels[c]` is the number of codes column c has in the reference. */
  constructor(reference: EncodedRows, p: number, q: number, levels: readonly number[]) {
    const n = reference.rows;
    this.n = n;
    this.p = p;
    this.q = q;
    for (let k = 0; k < p; k++) {
      const col = new Float64Array(n);
      let missing = false;
      for (let i = 0; i < n; i++) {
        col[i] = reference.scaled[i * p + k];
        if (col[i] !== col[i]) missing = true;
      }
      this.refColumns.push(col);
      this.refHasMissing.push(missing);
    }
    for (let c = 0; c < q; c++) {
      const col = new Int32Array(n);
      for (let i = 0; i < n; i++) col[i] = reference.codes[i * q + c];
      this.refCodes.push(col);
    }
    const words = (n + 31) >>> 5;
    const levelCount = levels.reduce((sum, size) => sum + size, 0);
    // One bitset per level: skipped when high-cardinality columns would make them large (over 32 MB).
    if (q >= BITSET_MIN_COLUMNS && levelCount * words <= BITSET_MAX_WORDS) {
      this.levelBits = this.refCodes.map((col, c) => {
        const sets = Array.from({ length: levels[c] }, () => new Uint32Array(words));
        for (let i = 0; i < n; i++) sets[col[i]][i >>> 5] |= 1 << (i & 31);
        return sets;
      });
    }
  }

  /** Categorical mismatches of query row s with every reference row, by bit-sliced counting of matches. */
  private mismatchCounts(query: EncodedRows, s: number, out: Uint16Array, planes: Uint32Array[]): void {
    const bits = this.levelBits!;
    const q = this.q;
    const n = this.n;
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

  /**
   * Smallest distance sums (not yet divided by the width) of query rows s0 .. s0+count-1 (count <= 4) into
   * best[0 .. count-1]; acc holds four scratch rows of EXHAUSTIVE_CHUNK sums.
   */
  nearest4(query: EncodedRows, s0: number, count: number, acc: Float64Array[], best: Float64Array): void {
    const p = this.p;
    const q = this.q;
    const n = this.n;
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
}
