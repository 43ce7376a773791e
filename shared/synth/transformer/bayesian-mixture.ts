import { z } from "zod";
import type { Rng } from "../../random.ts";
import { digamma, logGamma, logBeta } from "../math/special.ts";

/**
 * A one-dimensional variational Bayesian Gaussian mixture with a Dirichlet-process (stick-breaking) prior
 * on the weights: the model behind RDT's ClusterBasedNormalizer, i.e. scikit-learn's
 * BayesianGaussianMixture(n_components=10, weight_concentration_prior_type="dirichlet_process",
 * weight_concentration_prior=1e-3, n_init=1, max_iter=100, tol=1e-3, reg_covar=1e-6, init_params="kmeans")
 * with its default priors (mean_precision_prior=1, mean_prior=mean(X), degrees_of_freedom_prior=1,
 * covariance_prior=var(X)). The updates are sklearn's (Bishop, PRML 10.2; Blei & Jordan 2006 for the
 * stick-breaking weights), written for one feature so that every "matrix" is a scalar.
 */
export const mixtureOptionsSchema = z.object({
  maxComponents: z.number().int().min(1).max(50).default(10),
  weightConcentrationPrior: z.number().positive().default(1e-3),
  maxIter: z.number().int().min(1).default(100),
  tol: z.number().positive().default(1e-3),
  regCovar: z.number().nonnegative().default(1e-6),
});
export type MixtureOptions = z.input<typeof mixtureOptionsSchema>;

/** What predict_proba needs: per component log p(x, k) = logConst[k] - 0.5 * precision[k] * (x - mean[k])^2. */
export const mixtureStateSchema = z.object({
  means: z.array(z.number()),
  stds: z.array(z.number()),
  weights: z.array(z.number()),
  precisions: z.array(z.number()),
  logConst: z.array(z.number()),
  converged: z.boolean(),
  iterations: z.number().int(),
});
export type MixtureState = z.infer<typeof mixtureStateSchema>;

const EPS_F64 = 2.220446049250313e-16;

/** Distinct values (ascending) and how often each occurs: the mixture's updates only need these. */
function distinctWithCounts(x: Float64Array): { values: Float64Array; counts: Float64Array } {
  const sorted = Float64Array.from(x).sort();
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) m++;
  const values = new Float64Array(m);
  const counts = new Float64Array(m);
  let j = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) values[++j] = sorted[i];
    counts[j]++;
  }
  return { values, counts };
}

/**
 * 1-D k-means on weighted distinct values (k-means++ seeding, then Lloyd iterations): in one dimension the
 * clusters are contiguous runs of the sorted values, split at the midpoints between sorted centres, so an
 * iteration costs k binary searches and prefix sums instead of n x k distances.
 */
function kmeansLabels(values: Float64Array, counts: Float64Array, k: number, rng: Rng): Int32Array {
  const m = values.length;
  const prefixW = new Float64Array(m + 1);
  const prefixWX = new Float64Array(m + 1);
  for (let i = 0; i < m; i++) {
    prefixW[i + 1] = prefixW[i] + counts[i];
    prefixWX[i + 1] = prefixWX[i] + counts[i] * values[i];
  }
  const total = prefixW[m];
  const pickWeighted = (weights: Float64Array | null, sum: number): number => {
    let target = rng.next() * sum;
    for (let i = 0; i < m; i++) {
      target -= weights === null ? counts[i] : weights[i];
      if (target < 0) return i;
    }
    return m - 1;
  };
  const centers = new Float64Array(k);
  centers[0] = values[pickWeighted(null, total)];
  const dist = new Float64Array(m).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const d = counts[i] * (values[i] - centers[c - 1]) ** 2;
      if (d < dist[i]) dist[i] = d;
      sum += dist[i];
    }
    centers[c] = sum === 0 ? centers[c - 1] : values[pickWeighted(dist, sum)];
  }
  // Index of the first value at or above t.
  const lowerBound = (t: number): number => {
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const order = Array.from({ length: k }, (_, c) => c);
  const starts = new Int32Array(k + 1);
  for (let iter = 0; iter < 300; iter++) {
    order.sort((a, b) => centers[a] - centers[b] || a - b);
    starts[0] = 0;
    starts[k] = m;
    for (let r = 1; r < k; r++) {
      const left = centers[order[r - 1]];
      const right = centers[order[r]];
      starts[r] = left === right ? starts[r - 1] : Math.max(starts[r - 1], lowerBound((left + right) / 2));
    }
    let moved = false;
    for (let r = 0; r < k; r++) {
      const w = prefixW[starts[r + 1]] - prefixW[starts[r]];
      if (w <= 0) continue;
      const next = (prefixWX[starts[r + 1]] - prefixWX[starts[r]]) / w;
      if (next !== centers[order[r]]) moved = true;
      centers[order[r]] = next;
    }
    if (!moved) break;
  }
  // Label clusters by decreasing size: under the stick-breaking prior a component's expected weight shrinks
  // with its index, so empty or duplicate clusters placed last are the ones the prior switches off.
  const sizes = order.map((_, r) => prefixW[starts[r + 1]] - prefixW[starts[r]]);
  const rank = order.map((_, r) => r).sort((a, b) => sizes[b] - sizes[a] || a - b);
  const labelOf = new Int32Array(k);
  rank.forEach((r, label) => (labelOf[r] = label));
  const labels = new Int32Array(m);
  for (let r = 0; r < k; r++) for (let i = starts[r]; i < starts[r + 1]; i++) labels[i] = labelOf[r];
  return labels;
}

interface Params {
  nk: Float64Array;
  xk: Float64Array;
  sk: Float64Array;
}

/** sklearn's _estimate_gaussian_parameters, on distinct values weighted by their counts. */
function estimateGaussian(
  x: Float64Array,
  w: Float64Array,
  resp: Float64Array,
  k: number,
  regCovar: number,
): Params {
  const n = x.length;
  const nk = new Float64Array(k);
  const xk = new Float64Array(k);
  const sk = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c] * w[i];
      nk[c] += r;
      xk[c] += r * x[i];
    }
  }
  for (let c = 0; c < k; c++) {
    nk[c] += 10 * EPS_F64;
    xk[c] /= nk[c];
  }
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) sk[c] += resp[i * k + c] * w[i] * (x[i] - xk[c]) ** 2;
  }
  for (let c = 0; c < k; c++) sk[c] = sk[c] / nk[c] + regCovar;
  return { nk, xk, sk };
}

/** The priors sklearn derives from the data by default. */
interface Priors {
  mean: number;
  covariance: number;
  meanPrecision: number;
  dof: number;
  weightConcentration: number;
}

function defaultPriors(
  x: Float64Array,
  w: Float64Array,
  total: number,
  opts: z.infer<typeof mixtureOptionsSchema>,
): Priors {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += w[i] * x[i];
  mean /= total;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += w[i] * (x[i] - mean) ** 2;
  return {
    mean,
    // np.cov is the unbiased estimate; a single value has none, so fall back to the regulariser.
    covariance: total > 1 ? variance / (total - 1) : opts.regCovar,
    meanPrecision: 1,
    dof: 1,
    weightConcentration: opts.weightConcentrationPrior,
  };
}

/** The variational posterior, one entry per component, and what the E step reads from it. */
class Posterior {
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly meanPrecision: Float64Array;
  readonly means: Float64Array;
  readonly dof: Float64Array;
  readonly covariances: Float64Array;
  readonly logConst: Float64Array;
  readonly precisions: Float64Array;

  constructor(readonly k: number) {
    this.alpha = new Float64Array(k);
    this.beta = new Float64Array(k);
    this.meanPrecision = new Float64Array(k);
    this.means = new Float64Array(k);
    this.dof = new Float64Array(k);
    this.covariances = new Float64Array(k);
    this.logConst = new Float64Array(k);
    this.precisions = new Float64Array(k);
  }
}

/** M step: the posterior from the weighted statistics of the responsibilities. */
function mStep(post: Posterior, p: Params, priors: Priors): void {
  const { k, alpha, beta, meanPrecision, means, dof, covariances, logConst, precisions } = post;
  let tail = 0;
  for (let c = k - 1; c >= 0; c--) {
    alpha[c] = 1 + p.nk[c];
    beta[c] = priors.weightConcentration + tail;
    tail += p.nk[c];
  }
  for (let c = 0; c < k; c++) {
    meanPrecision[c] = priors.meanPrecision + p.nk[c];
    means[c] = (priors.meanPrecision * priors.mean + p.nk[c] * p.xk[c]) / meanPrecision[c];
    dof[c] = priors.dof + p.nk[c];
    const diff = p.xk[c] - priors.mean;
    covariances[c] =
      (priors.covariance +
        p.nk[c] * p.sk[c] +
        ((p.nk[c] * priors.meanPrecision) / meanPrecision[c]) * diff * diff) /
      dof[c];
  }
  // Expected log weights of the stick-breaking prior, then the Gaussian-Wishart expected log density.
  let stick = 0;
  for (let c = 0; c < k; c++) {
    const dSum = digamma(alpha[c] + beta[c]);
    const logWeight = digamma(alpha[c]) - dSum + stick;
    stick += digamma(beta[c]) - dSum;
    precisions[c] = 1 / covariances[c];
    const logLambda = Math.LN2 + digamma(0.5 * dof[c]);
    logConst[c] =
      logWeight -
      0.5 * Math.log(2 * Math.PI) +
      0.5 * Math.log(precisions[c]) -
      0.5 * Math.log(dof[c]) +
      0.5 * (logLambda - 1 / meanPrecision[c]);
  }
}

/** E step: fills resp (n x k) and returns sum(resp * log resp), weighted by the value counts. */
function eStep(post: Posterior, x: Float64Array, w: Float64Array, resp: Float64Array): number {
  const { k, means, logConst, precisions } = post;
  let entropy = 0;
  const row = new Float64Array(k);
  for (let i = 0; i < x.length; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const d = x[i] - means[c];
      row[c] = logConst[c] - 0.5 * precisions[c] * d * d;
      if (row[c] > max) max = row[c];
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(row[c] - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < k; c++) {
      const lr = row[c] - lse;
      const r = Math.exp(lr);
      resp[i * k + c] = r;
      if (r > 0) entropy += w[i] * r * lr;
    }
  }
  return entropy;
}

/** sklearn's _compute_lower_bound for the Dirichlet-process prior: the convergence criterion. */
function lowerBound(post: Posterior, respLogResp: number): number {
  const { k, alpha, beta, meanPrecision, dof, precisions } = post;
  let logWishart = 0;
  let logNormWeight = 0;
  let logMeanPrecision = 0;
  for (let c = 0; c < k; c++) {
    const logDetPrecChol = 0.5 * Math.log(precisions[c]) - 0.5 * Math.log(dof[c]);
    logWishart += -(dof[c] * logDetPrecChol + dof[c] * 0.5 * Math.LN2 + logGamma(0.5 * dof[c]));
    logNormWeight += -logBeta(alpha[c], beta[c]);
    logMeanPrecision += Math.log(meanPrecision[c]);
  }
  return -respLogResp - logWishart - logNormWeight - 0.5 * logMeanPrecision;
}

/** sklearn's weights_ for the Dirichlet process: the expected stick-breaking proportions, renormalised. */
function expectedWeights(post: Posterior): number[] {
  const { k, alpha, beta } = post;
  const weights = new Array<number>(k);
  let remaining = 1;
  let weightSum = 0;
  for (let c = 0; c < k; c++) {
    const s = alpha[c] + beta[c];
    weights[c] = (alpha[c] / s) * remaining;
    remaining *= beta[c] / s;
    weightSum += weights[c];
  }
  for (let c = 0; c < k; c++) weights[c] /= weightSum;
  return weights;
}

/**
 * Fits the mixture. `x` must hold only finite values (missing values are handled by the caller); it is
 * not modified.
 */
export function fitBayesianMixture(data: Float64Array, rng: Rng, options: MixtureOptions = {}): MixtureState {
  const opts = mixtureOptionsSchema.parse(options);
  const total = data.length;
  // Every update is a sum over values, so identical values are folded into one weighted value: integer
  // columns (ages, counts, years) then cost their number of distinct values, not their rows.
  const { values: x, counts: w } = distinctWithCounts(data);
  const n = x.length;
  const k = Math.max(1, Math.min(opts.maxComponents, total));
  const priors = defaultPriors(x, w, total, opts);

  // sklearn's init_params="kmeans": hard responsibilities from k-means labels.
  const resp = new Float64Array(n * k);
  const labels = kmeansLabels(x, w, k, rng);
  for (let i = 0; i < n; i++) resp[i * k + labels[i]] = 1;

  const post = new Posterior(k);
  mStep(post, estimateGaussian(x, w, resp, k, opts.regCovar), priors);
  let previous = -Infinity;
  let converged = false;
  let iterations = 0;
  for (let iter = 1; iter <= opts.maxIter; iter++) {
    iterations = iter;
    const respLogResp = eStep(post, x, w, resp);
    mStep(post, estimateGaussian(x, w, resp, k, opts.regCovar), priors);
    const bound = lowerBound(post, respLogResp);
    if (Math.abs(bound - previous) < opts.tol) {
      converged = true;
      break;
    }
    previous = bound;
  }

  return {
    means: Array.from(post.means),
    stds: Array.from(post.covariances, (v) => Math.sqrt(v)),
    weights: expectedWeights(post),
    precisions: Array.from(post.precisions),
    logConst: Array.from(post.logConst),
    converged,
    iterations,
  };
}

/** sklearn's predict_proba: posterior responsibility of each component for each value (row-major n x k). */
export function mixturePosterior(state: MixtureState, x: Float64Array): Float64Array {
  const k = state.means.length;
  const out = new Float64Array(x.length * k);
  const row = new Float64Array(k);
  for (let i = 0; i < x.length; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const d = x[i] - state.means[c];
      row[c] = state.logConst[c] - 0.5 * state.precisions[c] * d * d;
      if (row[c] > max) max = row[c];
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      row[c] = Math.exp(row[c] - max);
      sum += row[c];
    }
    for (let c = 0; c < k; c++) out[i * k + c] = row[c] / sum;
  }
  return out;
}
