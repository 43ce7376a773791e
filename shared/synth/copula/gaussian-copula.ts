import { z } from "zod";
import { synthError } from "../../errors.ts";
import type { Rng } from "../../random.ts";
import type { Cell, Table } from "../../data/table.ts";
import { rowCount } from "../../data/table.ts";
import type { TableMetadata } from "../../data/metadata.ts";
import { cholesky, repairCorrelation, symmetricEigen } from "../math/linalg.ts";
import { normalCdf, normalPpf } from "../math/special.ts";
import {
  codecOptionsSchema,
  columnSpecSchema,
  decodeCategorical,
  decodeNumeric,
  encodeCategorical,
  encodeNumeric,
  fitColumnSpecs,
  generateColumn,
} from "../transformer/column-codec.ts";
import type { CategoricalSpec, ColumnSpec, NumericSpec } from "../transformer/column-codec.ts";
import { chooseMarginal, marginalCdf, marginalQuantile, marginalSchema } from "./marginals.ts";

/**
 * The Gaussian copula synthesizer (SDV's GaussianCopulaSynthesizer; Patki et al., "The Synthetic Data
 * Vault", DSAA 2016): each column is mapped to a standard normal score through its marginal CDF, the
 * scores' correlation matrix is the copula, and sampling runs the other way.
 *
 * - numerical and datetime columns: a marginal chosen per column (marginals.ts);
 * - categorical and boolean columns: frequency intervals, as SDV's UniformEncoder: level k owns
 *   [c_{k-1}, c_k) of [0, 1) where c is the cumulative frequency, a value becomes a uniform draw inside its
 *   interval, and a sampled score falls back into the level whose interval holds Phi(z);
 * - a missing number: one more frequency-interval dimension (present / missing) so the missing rate and
 *   its correlation with the other columns are learned; the correlations involving the number itself are
 *   estimated on the rows where it is present (pairwise complete), then the matrix is repaired to be
 *   positive definite.
 */
export const copulaOptionsSchema = codecOptionsSchema;
export type CopulaOptions = z.input<typeof copulaOptionsSchema>;

const dimensionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("numeric"), spec: z.number().int(), marginal: marginalSchema, ks: z.number() }),
  z.object({ type: z.literal("missing"), spec: z.number().int(), rate: z.number().min(0).max(1) }),
  z.object({
    type: z.literal("categorical"),
    spec: z.number().int(),
    /** Level codes in interval order, and the cumulative frequency at the end of each interval. */
    order: z.array(z.number().int().nonnegative()),
    cumulative: z.array(z.number()),
  }),
]);
type Dimension = z.infer<typeof dimensionSchema>;

export const copulaStateSchema = z.object({
  version: z.literal(1),
  options: copulaOptionsSchema,
  specs: z.array(columnSpecSchema),
  dimensions: z.array(dimensionSchema),
  /** Row-major d x d correlation of the normal scores, positive definite. */
  correlation: z.array(z.number()),
});
export type CopulaState = z.infer<typeof copulaStateSchema>;

const U_MIN = 1e-9;
const clampU = (u: number): number => Math.min(1 - U_MIN, Math.max(U_MIN, u));

/** Normal score of a uniform draw inside [lo, hi). */
function intervalScore(lo: number, hi: number, rng: Rng): number {
  return normalPpf(clampU(lo + rng.next() * (hi - lo)));
}

function numericScores(values: Float64Array, dim: Extract<Dimension, { type: "numeric" }>, rng: Rng) {
  const n = values.length;
  const z = new Float64Array(n).fill(NaN);
  const m = dim.marginal;
  if (m.family !== "empirical") {
    for (let i = 0; i < n; i++)
      if (!Number.isNaN(values[i])) z[i] = normalPpf(clampU(marginalCdf(m, values[i])));
    return z;
  }
  // Empirical marginal: a randomised probability integral transform over the ranks, so tied values (integer
  // columns) spread over their whole probability mass instead of piling on one score.
  const present: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) present.push(i);
  present.sort((a, b) => values[a] - values[b]);
  const count = present.length;
  for (let s = 0; s < count;) {
    let e = s + 1;
    while (e < count && values[present[e]] === values[present[s]]) e++;
    for (let r = s; r < e; r++) z[present[r]] = intervalScore(s / count, e / count, rng);
    s = e;
  }
  return z;
}

function pairwiseCorrelation(scores: Float64Array[], n: number): Float64Array {
  const d = scores.length;
  const corr = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    corr[a * d + a] = 1;
    for (let b = a + 1; b < d; b++) {
      const x = scores[a];
      const y = scores[b];
      let count = 0;
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
        count++;
        sx += x[i];
        sy += y[i];
      }
      let r = 0;
      if (count > 2) {
        const mx = sx / count;
        const my = sy / count;
        let sxy = 0;
        let sxx = 0;
        let syy = 0;
        for (let i = 0; i < n; i++) {
          if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
          const dx = x[i] - mx;
          const dy = y[i] - my;
          sxy += dx * dy;
          sxx += dx * dx;
          syy += dy * dy;
        }
        r = sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
      }
      corr[a * d + b] = r;
      corr[b * d + a] = r;
    }
  }
  return corr;
}

/**
 * The first principal component of the numerical columns' normal scores (missing scores count as 0), or
 * null without numerical columns. Used only to order categorical intervals.
 */
function principalScore(columns: Float64Array[], n: number): Float64Array | null {
  const d = columns.length;
  if (d === 0) return null;
  const filled = columns.map((z) => z.map((v) => (Number.isNaN(v) ? 0 : v)));
  const corr = pairwiseCorrelation(filled, n);
  const { values, vectors } = symmetricEigen(corr, d);
  let top = 0;
  for (let k = 1; k < d; k++) if (values[k] > values[top]) top = k;
  const out = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    const w = vectors[j * d + top];
    for (let i = 0; i < n; i++) out[i] += w * filled[j][i];
  }
  return out;
}

/**
 * The order of a categorical column's intervals. Interval widths are the level frequencies (SDV's
 * UniformEncoder); their order is free, and it matters: a Gaussian copula only carries monotone
 * dependence, so levels are laid out by their mean position on the numerical columns' first principal
 * component (frequency order without numerical columns). A level whose rows sit high on the numbers then
 * owns a high interval, and the correlation of scores can express "this level goes with large values".
 */
function intervalOrder(codes: Int32Array, counts: number[], anchor: Float64Array | null): number[] {
  const levels = counts.map((_, k) => k);
  if (anchor === null) return levels;
  const sums = new Float64Array(counts.length);
  for (let i = 0; i < codes.length; i++) sums[codes[i]] += anchor[i];
  const mean = (k: number) => sums[k] / counts[k];
  return levels.sort((a, b) => mean(a) - mean(b) || a - b);
}

export class GaussianCopula {
  readonly state: CopulaState;
  private readonly chol: Float64Array;

  private constructor(state: CopulaState) {
    this.state = state;
    const d = state.dimensions.length;
    this.chol = d === 0 ? new Float64Array(0) : cholesky(Float64Array.from(state.correlation), d);
  }

  static fit(table: Table, metadata: TableMetadata, rng: Rng, options: CopulaOptions = {}): GaussianCopula {
    const opts = copulaOptionsSchema.parse(options);
    const n = rowCount(table);
    const specs = fitColumnSpecs(table, metadata);
    const numeric = new Map<number, { dims: Dimension[]; scores: Float64Array[] }>();
    specs.forEach((spec, s) => {
      if (spec.kind !== "numeric") return;
      const values = encodeNumeric(spec, table.data[s]);
      const present = values.filter((v) => !Number.isNaN(v));
      const choice = chooseMarginal(present, rng);
      const dim = { type: "numeric" as const, spec: s, marginal: choice.marginal, ks: choice.ks };
      const entry = { dims: [dim] as Dimension[], scores: [numericScores(values, dim, rng)] };
      if (spec.nullRate > 0) {
        const rate = (values.length - present.length) / values.length;
        entry.dims.push({ type: "missing", spec: s, rate });
        const z = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          z[i] = Number.isNaN(values[i]) ? intervalScore(1 - rate, 1, rng) : intervalScore(0, 1 - rate, rng);
        }
        entry.scores.push(z);
      }
      numeric.set(s, entry);
    });
    const anchor = principalScore(
      [...numeric.values()].map((e) => e.scores[0]),
      n,
    );
    const dimensions: Dimension[] = [];
    const scores: Float64Array[] = [];
    specs.forEach((spec, s) => {
      const entry = numeric.get(s);
      if (entry !== undefined) {
        dimensions.push(...entry.dims);
        scores.push(...entry.scores);
      } else if (spec.kind === "categorical") {
        const codes = encodeCategorical(spec, table.data[s]);
        const order = intervalOrder(codes, spec.counts, anchor);
        const total = spec.counts.reduce((a, b) => a + b, 0);
        const cumulative: number[] = [];
        const position = new Int32Array(order.length);
        let acc = 0;
        order.forEach((code, k) => {
          acc += spec.counts[code];
          cumulative.push(acc / total);
          position[code] = k;
        });
        cumulative[cumulative.length - 1] = 1;
        dimensions.push({ type: "categorical", spec: s, order, cumulative });
        const z = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const k = position[codes[i]];
          z[i] = intervalScore(k === 0 ? 0 : cumulative[k - 1], cumulative[k], rng);
        }
        scores.push(z);
      }
    });
    const d = dimensions.length;
    const correlation = d === 0 ? new Float64Array(0) : repairCorrelation(pairwiseCorrelation(scores, n), d);
    return new GaussianCopula({
      version: 1,
      options: opts,
      specs,
      dimensions,
      correlation: Array.from(correlation),
    });
  }

  static fromState(raw: unknown): GaussianCopula {
    const parsed = copulaStateSchema.safeParse(raw);
    if (!parsed.success) {
      throw synthError("INVALID_ARTIFACT", "the Gaussian copula state is invalid", {
        issues: parsed.error.issues.slice(0, 5),
      });
    }
    const d = parsed.data.dimensions.length;
    if (parsed.data.correlation.length !== d * d) {
      throw synthError("INVALID_ARTIFACT", "the copula correlation matrix does not match its dimensions");
    }
    return new GaussianCopula(parsed.data);
  }

  get specs(): ColumnSpec[] {
    return this.state.specs;
  }

  sample(rows: number, rng: Rng): Table {
    const { dimensions, specs, options } = this.state;
    const d = dimensions.length;
    const u = dimensions.map(() => new Float64Array(rows));
    const eps = new Float64Array(d);
    const L = this.chol;
    for (let i = 0; i < rows; i++) {
      for (let a = 0; a < d; a++) eps[a] = rng.normal();
      for (let a = 0; a < d; a++) {
        let z = 0;
        for (let b = 0; b <= a; b++) z += L[a * d + b] * eps[b];
        u[a][i] = clampU(normalCdf(z));
      }
    }
    const columns: (Cell[] | null)[] = specs.map(() => null);
    const missing = new Map<number, Float64Array>();
    dimensions.forEach((dim, a) => {
      if (dim.type === "missing") missing.set(dim.spec, u[a]);
    });
    dimensions.forEach((dim, a) => {
      const spec = specs[dim.spec];
      if (dim.type === "numeric") {
        const values = new Float64Array(rows);
        const miss = missing.get(dim.spec);
        const rate = (
          dimensions.find((x) => x.type === "missing" && x.spec === dim.spec) as { rate?: number }
        )?.rate;
        for (let i = 0; i < rows; i++) {
          values[i] =
            miss !== undefined && rate !== undefined && miss[i] >= 1 - rate
              ? NaN
              : marginalQuantile(dim.marginal, u[a][i]);
        }
        columns[dim.spec] = decodeNumeric(spec as NumericSpec, values, options);
      } else if (dim.type === "categorical") {
        const codes = new Int32Array(rows);
        const cum = dim.cumulative;
        for (let i = 0; i < rows; i++) {
          let lo = 0;
          let hi = cum.length - 1;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (u[a][i] < cum[mid]) hi = mid;
            else lo = mid + 1;
          }
          codes[i] = dim.order[lo];
        }
        columns[dim.spec] = decodeCategorical(spec as CategoricalSpec, codes);
      }
    });
    const data = specs.map((spec, s): Cell[] => {
      const col = columns[s];
      if (col !== null) return col;
      if (spec.kind === "generated" || spec.kind === "constant") return generateColumn(spec, rows, rng);
      throw synthError("INTERNAL_ERROR", `column ${spec.name} was not sampled`);
    });
    return { columns: specs.map((s) => s.name), data };
  }
}
