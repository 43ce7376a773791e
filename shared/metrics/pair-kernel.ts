import { DENSE_CELL_LIMIT } from "./contingency.ts";

/**
 * The contingency part of one column pair (both Cramér's V and ContingencySimilarity) in time linear in the
 * rows, with no allocation per pair: counts go into reused scratch cells and only the occupied cells are
 * visited. The same numbers as contingency.ts computes from normalised tables (to rounding): a wide table
 * has millions of pairs, and allocating and sweeping levelsA x levelsB cells per pair made 2 000 columns of
 * 30 rows take minutes.
 */

/** One side (real or synthetic) of a coded column with its marginal counts. */
export interface CodedSide {
  codes: Int32Array;
  counts: Float64Array;
  /** Levels that occur on this side. */
  occupied: number;
}

export function codedSide(codes: Int32Array, levels: number): CodedSide {
  const counts = new Float64Array(levels);
  for (let i = 0; i < codes.length; i++) counts[codes[i]]++;
  let occupied = 0;
  for (let k = 0; k < levels; k++) if (counts[k] > 0) occupied++;
  return { codes, counts, occupied };
}

export interface PairContingency {
  realAssociation: number | null;
  syntheticAssociation: number | null;
  /** 1 - TVD of the two normalised joint tables; null when the real side has no rows. */
  similarity: number | null;
}

export class PairKernel {
  private real = new Float64Array(0);
  private synthetic = new Float64Array(0);
  private mark = new Uint8Array(0);
  private touched = new Int32Array(0);

  /** Whether `measure` handles this many cells (the sparse tables of contingency.ts handle the rest). */
  static fits(levelsA: number, levelsB: number): boolean {
    return levelsA * levelsB <= DENSE_CELL_LIMIT;
  }

  measure(
    realA: CodedSide,
    realB: CodedSide,
    synA: CodedSide,
    synB: CodedSide,
    levelsA: number,
    levelsB: number,
  ): PairContingency {
    const cells = levelsA * levelsB;
    const nReal = realA.codes.length;
    const nSyn = synA.codes.length;
    this.reserve(cells, nReal + nSyn);
    const { real, synthetic, mark, touched } = this;
    let t = 0;
    for (let i = 0; i < nReal; i++) {
      const k = realA.codes[i] * levelsB + realB.codes[i];
      if (mark[k] === 0) {
        mark[k] = 1;
        touched[t++] = k;
      }
      real[k]++;
    }
    for (let i = 0; i < nSyn; i++) {
      const k = synA.codes[i] * levelsB + synB.codes[i];
      if (mark[k] === 0) {
        mark[k] = 1;
        touched[t++] = k;
      }
      synthetic[k]++;
    }
    // Cramér's V without continuity correction: chi2 / n = sum O^2 / (row x col) - 1 over occupied cells.
    let sumReal = 0;
    let sumSyn = 0;
    let tvd = 0;
    for (let m = 0; m < t; m++) {
      const k = touched[m];
      const a = Math.floor(k / levelsB);
      const b = k - a * levelsB;
      const r = real[k];
      const s = synthetic[k];
      if (r > 0) sumReal += (r * r) / (realA.counts[a] * realB.counts[b]);
      if (s > 0) sumSyn += (s * s) / (synA.counts[a] * synB.counts[b]);
      tvd += Math.abs((nReal > 0 ? r / nReal : 0) - (nSyn > 0 ? s / nSyn : 0));
      real[k] = 0;
      synthetic[k] = 0;
      mark[k] = 0;
    }
    return {
      realAssociation: association(sumReal, nReal, realA.occupied, realB.occupied),
      syntheticAssociation: association(sumSyn, nSyn, synA.occupied, synB.occupied),
      similarity: nReal === 0 ? null : Math.max(0, 1 - tvd / 2),
    };
  }

  private reserve(cells: number, rows: number): void {
    if (this.real.length < cells) {
      this.real = new Float64Array(cells);
      this.synthetic = new Float64Array(cells);
      this.mark = new Uint8Array(cells);
    }
    if (this.touched.length < rows) this.touched = new Int32Array(rows);
  }
}

function association(sum: number, n: number, rows: number, cols: number): number | null {
  const minDim = Math.min(rows, cols) - 1;
  if (minDim < 1 || n <= 0) return null;
  return Math.sqrt(Math.max(0, sum - 1) / minDim);
}
