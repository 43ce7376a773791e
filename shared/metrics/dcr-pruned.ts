import type { EncodedRows } from "./dcr-encoding.ts";

/**
 * The pruned exact search: reference rows are grouped by their categorical values (inside a group the
 * categorical part of the distance is one number, the count of mismatching columns), and inside a group sorted by
 * one numerical "key" column, so a query row scans outward from its own key value and stops as soon as the key
 * distance alone cannot beat the best distance found. Groups whose categorical mismatch already reaches the best
 * distance are skipped. The same sorted groups answer the copy lookup.
 */
export class PrunedSearch {
  private readonly p: number;
  private readonly q: number;
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

  constructor(reference: EncodedRows, p: number, q: number) {
    this.p = p;
    this.q = q;
    this.keyColumn = pickKeyColumn(reference, p);
    const n = reference.rows;
    const groupOf = new Int32Array(n);
    const groupKeys: number[] = [];
    for (let i = 0; i < n; i++) {
      const key = Array.from(reference.codes.subarray(i * q, i * q + q)).join(",");
      let g = this.groupIndex.get(key);
      if (g === undefined) {
        g = this.groupIndex.size;
        this.groupIndex.set(key, g);
        for (let c = 0; c < q; c++) groupKeys.push(reference.codes[i * q + c]);
      }
      groupOf[i] = g;
    }
    const groups = this.groupIndex.size;
    this.groupCodes = Int32Array.from(groupKeys);
    const keyOf = (i: number): number => (this.keyColumn < 0 ? 0 : reference.scaled[i * p + this.keyColumn]);
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
        this.sortedScaled[pos * p + k] = reference.scaled[i * p + k];
        this.sortedRaw[pos * p + k] = reference.raw[i * p + k];
      }
      const key = keyOf(i);
      this.sortedKey[pos] = key;
      this.sortedRawKey[pos] = this.keyColumn < 0 ? 0 : reference.raw[i * p + this.keyColumn];
      if (Number.isNaN(key) && this.groupNan[g] < 0) this.groupNan[g] = pos;
    }
    this.groupStart[groups] = n;
    for (let g = 0; g < groups; g++) if (this.groupNan[g] < 0) this.groupNan[g] = this.groupStart[g + 1];
  }

  /** Smallest distance sum (not yet divided by the width) from query row s. */
  nearest(query: EncodedRows, s: number): number {
    const q = this.q;
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

  /** Sum of capped numeric distances between query row `s` and sorted reference position `pos`, stopping at `limit`. */
  private numericSum(query: Float64Array, s: number, pos: number, limit: number): number {
    const p = this.p;
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
    const p = this.p;
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

  /**
   * For every query row, whether some reference row has the same categories and every number within
   * `tolerance` of the reference value (|s - r| <= tolerance |r|; missing matches missing).
   */
  copies(query: EncodedRows, tolerance: number): Uint8Array {
    const p = this.p;
    const q = this.q;
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

/** The numeric column with the most distinct reference values prunes best as the sort key. */
function pickKeyColumn(reference: EncodedRows, p: number): number {
  let best = -1;
  let bestDistinct = -1;
  for (let k = 0; k < p; k++) {
    const seen = new Set<number>();
    for (let i = 0; i < reference.rows; i++) seen.add(reference.scaled[i * p + k]);
    if (seen.size > bestDistinct) {
      bestDistinct = seen.size;
      best = k;
    }
  }
  return best;
}
