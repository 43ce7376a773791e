import { z } from "zod";
import { permutation } from "../../random.ts";
import type { Rng } from "../../random.ts";
import { betaI, gammaP, invertCdf, logBeta, logGamma, normalCdf, normalPpf } from "../math/special.ts";

/**
 * Per-column marginal distributions of the Gaussian copula, as SDV's GaussianCopulaSynthesizer offers them
 * (norm, truncnorm, beta, uniform, gamma, or a non-parametric fallback). SDV fits one family you choose
 * (default beta); we fit every family and keep the one with the smallest Kolmogorov-Smirnov statistic, and
 * fall back to the empirical distribution when even the best family is rejected by the KS test at 5 %
 * (statistic > 1.36 / sqrt(n)): a copula is only as good as its marginals.
 */
export const marginalSchema = z.discriminatedUnion("family", [
  z.object({ family: z.literal("normal"), mu: z.number(), sigma: z.number().positive() }),
  z.object({
    family: z.literal("truncnorm"),
    mu: z.number(),
    sigma: z.number().positive(),
    lo: z.number(),
    hi: z.number(),
  }),
  z.object({ family: z.literal("uniform"), lo: z.number(), hi: z.number() }),
  z.object({
    family: z.literal("beta"),
    a: z.number().positive(),
    b: z.number().positive(),
    lo: z.number(),
    hi: z.number(),
  }),
  z.object({
    family: z.literal("gamma"),
    k: z.number().positive(),
    theta: z.number().positive(),
    loc: z.number(),
  }),
  /** Quantile function through these knots, at equally spaced probabilities 0, 1/(m-1), ..., 1. */
  z.object({ family: z.literal("empirical"), knots: z.array(z.number()).min(2) }),
]);
export type Marginal = z.infer<typeof marginalSchema>;
export type Family = Marginal["family"];

export const MAX_KNOTS = 1001;
const KS_SAMPLE = 5000;

export function marginalCdf(m: Marginal, x: number): number {
  switch (m.family) {
    case "normal":
      return normalCdf((x - m.mu) / m.sigma);
    case "truncnorm": {
      const a = normalCdf((m.lo - m.mu) / m.sigma);
      const b = normalCdf((m.hi - m.mu) / m.sigma);
      if (x <= m.lo) return 0;
      if (x >= m.hi) return 1;
      return (normalCdf((x - m.mu) / m.sigma) - a) / (b - a);
    }
    case "uniform":
      return x <= m.lo ? 0 : x >= m.hi ? 1 : (x - m.lo) / (m.hi - m.lo);
    case "beta":
      return betaI(m.a, m.b, (x - m.lo) / (m.hi - m.lo));
    case "gamma":
      return gammaP(m.k, (x - m.loc) / m.theta);
    case "empirical":
      return empiricalCdf(m.knots, x);
  }
}

function empiricalCdf(knots: number[], x: number): number {
  const m = knots.length;
  if (x < knots[0]) return 0;
  if (x >= knots[m - 1]) return 1;
  let lo = 0;
  let hi = m - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (knots[mid] <= x) lo = mid;
    else hi = mid;
  }
  const span = knots[hi] - knots[lo];
  const frac = span > 0 ? (x - knots[lo]) / span : 1;
  return (lo + frac) / (m - 1);
}

function marginalPdf(m: Marginal, x: number): number {
  if (m.family === "beta") {
    const w = m.hi - m.lo;
    const t = (x - m.lo) / w;
    if (t <= 0 || t >= 1) return 0;
    return Math.exp((m.a - 1) * Math.log(t) + (m.b - 1) * Math.log1p(-t) - logBeta(m.a, m.b)) / w;
  }
  if (m.family === "gamma") {
    const t = (x - m.loc) / m.theta;
    if (t <= 0) return 0;
    return Math.exp((m.k - 1) * Math.log(t) - t - logGamma(m.k)) / m.theta;
  }
  return NaN;
}

/** The quantile function (inverse CDF) of u in (0, 1). */
export function marginalQuantile(m: Marginal, u: number): number {
  switch (m.family) {
    case "normal":
      return m.mu + m.sigma * normalPpf(u);
    case "truncnorm": {
      const a = normalCdf((m.lo - m.mu) / m.sigma);
      const b = normalCdf((m.hi - m.mu) / m.sigma);
      const x = m.mu + m.sigma * normalPpf(a + u * (b - a));
      return Math.min(m.hi, Math.max(m.lo, x));
    }
    case "uniform":
      return m.lo + u * (m.hi - m.lo);
    case "beta":
      return invertCdf(
        (x) => marginalCdf(m, x),
        (x) => marginalPdf(m, x),
        u,
        m.lo,
        m.hi,
        m.lo + (m.hi - m.lo) * (m.a / (m.a + m.b)),
      );
    case "gamma": {
      let hi = m.loc + m.theta * (m.k + 10 * Math.sqrt(m.k) + 10);
      while (marginalCdf(m, hi) < u) hi = m.loc + 2 * (hi - m.loc);
      return invertCdf(
        (x) => marginalCdf(m, x),
        (x) => marginalPdf(m, x),
        u,
        m.loc,
        hi,
        m.loc + m.k * m.theta,
      );
    }
    case "empirical": {
      const pos = u * (m.knots.length - 1);
      const i = Math.min(m.knots.length - 2, Math.floor(pos));
      return m.knots[i] + (pos - i) * (m.knots[i + 1] - m.knots[i]);
    }
  }
}

/** Two-sample-free KS statistic of sorted values against a CDF. */
export function ksStatistic(sorted: Float64Array, cdf: (x: number) => number): number {
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  return d;
}

function moments(x: Float64Array): { mean: number; variance: number } {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  return { mean, variance: variance / Math.max(1, x.length - 1) };
}

/** Minimises f over R^2 with Nelder-Mead (enough for the truncated normal's two parameters). */
function nelderMead(f: (p: [number, number]) => number, start: [number, number], step: [number, number]) {
  let simplex: [number, number][] = [start, [start[0] + step[0], start[1]], [start[0], start[1] + step[1]]];
  let values = simplex.map(f);
  for (let iter = 0; iter < 200; iter++) {
    const order = [0, 1, 2].sort((a, b) => values[a] - values[b]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[2] - values[0]) < 1e-9 * (1 + Math.abs(values[0]))) break;
    const c: [number, number] = [(simplex[0][0] + simplex[1][0]) / 2, (simplex[0][1] + simplex[1][1]) / 2];
    const at = (t: number): [number, number] => [
      c[0] + t * (simplex[2][0] - c[0]),
      c[1] + t * (simplex[2][1] - c[1]),
    ];
    const r = at(-1);
    const fr = f(r);
    if (fr < values[0]) {
      const e = at(-2);
      const fe = f(e);
      if (fe < fr) [simplex[2], values[2]] = [e, fe];
      else [simplex[2], values[2]] = [r, fr];
    } else if (fr < values[1]) [simplex[2], values[2]] = [r, fr];
    else {
      const k = at(0.5);
      const fk = f(k);
      if (fk < values[2]) [simplex[2], values[2]] = [k, fk];
      else {
        for (const i of [1, 2]) {
          simplex[i] = [(simplex[0][0] + simplex[i][0]) / 2, (simplex[0][1] + simplex[i][1]) / 2];
          values[i] = f(simplex[i]);
        }
      }
    }
  }
  return simplex[0];
}

/** Candidate parametric fits for one column's finite values (sorted ascending). */
export function fitFamilies(sorted: Float64Array): Marginal[] {
  const n = sorted.length;
  const lo = sorted[0];
  const hi = sorted[n - 1];
  const range = hi - lo;
  const { mean, variance } = moments(sorted);
  const sigma = Math.sqrt(variance);
  const out: Marginal[] = [];
  if (!(range > 0) || !(sigma > 0)) return out;
  out.push({ family: "normal", mu: mean, sigma });
  out.push({ family: "uniform", lo, hi });
  // Beta on the observed range widened by a hair so the extreme values have a density.
  const bLo = lo - range * 1e-6;
  const bHi = hi + range * 1e-6;
  const m = (mean - bLo) / (bHi - bLo);
  const v = variance / (bHi - bLo) ** 2;
  const common = (m * (1 - m)) / v - 1;
  if (common > 0) out.push({ family: "beta", a: m * common, b: (1 - m) * common, lo: bLo, hi: bHi });
  const loc = lo - range * 1e-3;
  const gm = mean - loc;
  out.push({ family: "gamma", k: (gm * gm) / variance, theta: variance / gm, loc });
  // Truncated normal on the observed range, maximum likelihood over (mu, log sigma).
  const sub = sorted.length > 2000 ? sorted.filter((_, i) => i % Math.ceil(n / 2000) === 0) : sorted;
  const nll = ([mu, logS]: [number, number]): number => {
    const s = Math.exp(logS);
    const z = normalCdf((hi - mu) / s) - normalCdf((lo - mu) / s);
    if (!(z > 0)) return Infinity;
    let total = sub.length * (Math.log(s) + Math.log(z));
    for (const x of sub) total += 0.5 * ((x - mu) / s) ** 2;
    return total;
  };
  const [mu, logS] = nelderMead(nll, [mean, Math.log(sigma)], [sigma * 0.5, 0.5]);
  if (Number.isFinite(mu) && Number.isFinite(logS)) {
    out.push({ family: "truncnorm", mu, sigma: Math.exp(logS), lo, hi });
  }
  return out;
}

export function empiricalMarginal(sorted: Float64Array): Marginal {
  const n = sorted.length;
  const m = Math.min(MAX_KNOTS, Math.max(2, n));
  const knots = new Array<number>(m);
  for (let i = 0; i < m; i++) {
    // Type-7 quantiles (R's default, numpy's linear).
    const pos = (i / (m - 1)) * (n - 1);
    const j = Math.floor(pos);
    knots[i] = j + 1 < n ? sorted[j] + (pos - j) * (sorted[j + 1] - sorted[j]) : sorted[n - 1];
  }
  return { family: "empirical", knots };
}

export interface MarginalChoice {
  marginal: Marginal;
  ks: number;
  candidates: { family: Family; ks: number }[];
}

/** Fits every family to the finite values and picks the best by KS (see the module comment). */
export function chooseMarginal(values: Float64Array, rng: Rng): MarginalChoice {
  const sorted = Float64Array.from(values).sort();
  let sample = sorted;
  if (sorted.length > KS_SAMPLE) {
    const order = permutation(sorted.length, rng);
    sample = new Float64Array(KS_SAMPLE);
    for (let i = 0; i < KS_SAMPLE; i++) sample[i] = sorted[order[i]];
    sample.sort();
  }
  const candidates = fitFamilies(sorted).map((marginal) => ({
    marginal,
    ks: ksStatistic(sample, (x) => marginalCdf(marginal, x)),
  }));
  candidates.sort((a, b) => a.ks - b.ks);
  const critical = 1.36 / Math.sqrt(sample.length);
  const best = candidates[0];
  let chosen = best;
  if (best === undefined || best.ks > critical) {
    const empirical = empiricalMarginal(sorted);
    chosen = { marginal: empirical, ks: ksStatistic(sample, (x) => marginalCdf(empirical, x)) };
  }
  return {
    marginal: chosen.marginal,
    ks: chosen.ks,
    candidates: candidates.map((c) => ({ family: c.marginal.family, ks: c.ks })),
  };
}
