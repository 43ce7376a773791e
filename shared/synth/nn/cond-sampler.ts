/**
 * CTGAN's training-by-sampling (Xu et al. 2019, section 4.3; reference ctgan/data_sampler.py): pick a
 * discrete column uniformly, a level of it by (log-)frequency, then a real row having that level, so the
 * generator learns every level, rare ones included.
 */
import type { Rng } from "../../random.ts";
import type { SpanLayout } from "./layout.ts";

export interface CondBatch {
  /** [batch, condWidth] one-hot of the chosen level. */
  cond: Float32Array;
  /** Chosen discrete column (index into layout.discrete) and level, per row. */
  column: Int32Array;
  level: Int32Array;
}

export class CondSampler {
  /** Per discrete column, cumulative level probabilities. */
  private readonly cumulative: Float64Array[];
  /** Per discrete column and level, the rows having it. */
  private readonly rowsByLevel: Int32Array[][];
  /** Level probabilities over every discrete column's levels at once (sample_original_condvec). */
  private readonly overallCumulative: Float64Array;

  /**
   * `levelProbs`: per discrete column, the probability of each level (already log-scaled if log_frequency).
   * `rowsByLevel` is only needed for training.
   */
  constructor(
    private readonly layout: SpanLayout,
    readonly levelProbs: number[][],
    rowsByLevel: Int32Array[][] = [],
  ) {
    this.rowsByLevel = rowsByLevel;
    this.cumulative = levelProbs.map((p) => cumulate(p));
    const nd = levelProbs.length;
    this.overallCumulative = cumulate(levelProbs.flatMap((p) => p.map((x) => x / nd)));
  }

  /** Frequencies and row lists from the internal-layout training data. */
  static fromData(
    layout: SpanLayout,
    internal: Float32Array,
    rows: number,
    logFrequency: boolean,
  ): CondSampler {
    const levelProbs: number[][] = [];
    const rowsByLevel: Int32Array[][] = [];
    for (const d of layout.discrete) {
      const start = layout.tanhCount + d.softmaxStart;
      const lists: number[][] = Array.from({ length: d.dim }, () => []);
      for (let r = 0; r < rows; r++) {
        const base = r * layout.width + start;
        let best = 0;
        for (let j = 1; j < d.dim; j++) if (internal[base + j] > internal[base + best]) best = j;
        lists[best].push(r);
      }
      const freq = lists.map((l) => (logFrequency ? Math.log(l.length + 1) : l.length));
      const total = freq.reduce((a, b) => a + b, 0);
      levelProbs.push(freq.map((f) => f / total));
      rowsByLevel.push(lists.map((l) => Int32Array.from(l)));
    }
    return new CondSampler(layout, levelProbs, rowsByLevel);
  }

  get columns(): number {
    return this.layout.discrete.length;
  }

  /** Training condition vectors (sample_condvec). */
  sampleTraining(batch: number, rng: Rng): CondBatch {
    const { discrete, condWidth } = this.layout;
    const cond = new Float32Array(batch * condWidth);
    const column = new Int32Array(batch);
    const level = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const c = rng.int(discrete.length);
      const l = pick(this.cumulative[c], rng.next());
      column[i] = c;
      level[i] = l;
      cond[i * condWidth + discrete[c].condStart + l] = 1;
    }
    return { cond, column, level };
  }

  /** Sampling-time condition vectors when nothing is fixed (sample_original_condvec). */
  sampleOriginal(batch: number, rng: Rng): Float32Array {
    const { condWidth } = this.layout;
    const cond = new Float32Array(batch * condWidth);
    for (let i = 0; i < batch; i++) cond[i * condWidth + pick(this.overallCumulative, rng.next())] = 1;
    return cond;
  }

  /** A condition vector fixing one level of one discrete column for every row. */
  fixed(batch: number, discreteIndex: number, level: number): Float32Array {
    const { condWidth, discrete } = this.layout;
    const cond = new Float32Array(batch * condWidth);
    const at = discrete[discreteIndex].condStart + level;
    for (let i = 0; i < batch; i++) cond[i * condWidth + at] = 1;
    return cond;
  }

  /** A real row having the given level (sample_data), uniformly among them. */
  rowFor(column: number, level: number, rng: Rng): number {
    const rows = this.rowsByLevel[column][level];
    return rows[rng.int(rows.length)];
  }
}

function cumulate(p: number[]): Float64Array {
  const out = new Float64Array(p.length);
  let acc = 0;
  p.forEach((x, i) => (out[i] = acc += x));
  return out;
}

/** First index whose cumulative probability exceeds u; rounding at the top falls back to the last level with mass. */
function pick(cumulative: Float64Array, u: number): number {
  for (let i = 0; i < cumulative.length; i++) if (cumulative[i] > u) return i;
  let last = cumulative.length - 1;
  while (last > 0 && cumulative[last] === cumulative[last - 1]) last--;
  return last;
}
