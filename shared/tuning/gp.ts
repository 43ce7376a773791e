import type { Rng } from "../random.ts";
import { minimizeBox } from "./lbfgs.ts";

/**
 * Gaussian process regression as scikit-optimize's gp_minimize builds it (skopt.utils.cook_estimator, see
 * https://scikit-optimize.github.io/stable/modules/generated/skopt.gp_minimize.html and
 * skopt.learning.GaussianProcessRegressor): kernel ConstantKernel(1.0, bounds (0.01, 1000)) x
 * Matern(length_scale = 1 per dimension, bounds (0.01, 100), nu = 2.5) + WhiteKernel (noise="gaussian";
 * sklearn's default noise_level 1.0, bounds (1e-5, 1e5)), normalize_y=True, n_restarts_optimizer=2, the
 * hyperparameters fitted by maximising the log marginal likelihood in log space. As skopt does, the white
 * noise is part of the fit but left out of the predicted std (the noise-free latent function's posterior).
 *
 * Hyperparameters theta = [log c, log l_1..l_D, log noise].
 */
export const GP_BOUNDS = {
  constant: [0.01, 1000],
  lengthScale: [0.01, 100],
  noise: [1e-5, 1e5],
} as const;

/** sklearn's default alpha, added to the diagonal; raised tenfold until the Cholesky succeeds. */
const BASE_JITTER = 1e-10;
const SQRT5 = Math.sqrt(5);

export interface GpHyper {
  constant: number;
  lengthScales: Float64Array;
  noise: number;
}

export interface FittedGp {
  hyper: GpHyper;
  logMarginalLikelihood: number;
  /** Posterior mean and std (original units) at encoded points. */
  predict(x: Float64Array[]): { mean: Float64Array; std: Float64Array };
}

function sqDistScaled(a: Float64Array, b: Float64Array, ls: Float64Array): number {
  let s = 0;
  for (let d = 0; d < a.length; d++) {
    const t = (a[d] - b[d]) / ls[d];
    s += t * t;
  }
  return s;
}

const matern52 = (r: number): number => (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);

export function kernel(a: Float64Array, b: Float64Array, h: GpHyper): number {
  return h.constant * matern52(Math.sqrt(sqDistScaled(a, b, h.lengthScales)));
}

/** In-place lower Cholesky of an n x n row-major matrix; false when not positive definite. */
function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
    if (!(s > 0)) return false;
    const l = Math.sqrt(s);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = t / l;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

function forward(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

function backward(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const x = Float64Array.from(b);
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

interface Factor {
  chol: Float64Array;
  alpha: Float64Array;
  jitter: number;
}

function factor(x: Float64Array[], y: Float64Array, h: GpHyper): Factor | null {
  const n = x.length;
  for (let jitter = BASE_JITTER; jitter <= 1e-2; jitter *= 10) {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = kernel(x[i], x[j], h);
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
      k[i * n + i] += h.noise + jitter;
    }
    if (choleskyInPlace(k, n)) return { chol: k, alpha: backward(k, n, forward(k, n, y)), jitter };
  }
  return null;
}

function hyperFrom(theta: Float64Array): GpHyper {
  const d = theta.length - 2;
  return {
    constant: Math.exp(theta[0]),
    lengthScales: Float64Array.from({ length: d }, (_v, i) => Math.exp(theta[1 + i])),
    noise: Math.exp(theta[d + 1]),
  };
}

/**
 * Log marginal likelihood of (normalised) targets y and its gradient in theta:
 * log p = -y'a/2 - sum log L_ii - n log(2 pi)/2, d log p / d theta_j = tr((a a' - K^-1) dK/dtheta_j) / 2.
 */
export function logMarginalLikelihood(
  x: Float64Array[],
  y: Float64Array,
  theta: Float64Array,
): { value: number; grad: Float64Array } {
  const n = x.length;
  const dims = theta.length - 2;
  const h = hyperFrom(theta);
  const f = factor(x, y, h);
  const grad = new Float64Array(theta.length);
  if (!f) return { value: -Infinity, grad };
  let value = -0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) value -= 0.5 * y[i] * f.alpha[i] + Math.log(f.chol[i * n + i]);
  // W = a a' - K^-1, K^-1 column by column from the factor.
  const w = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = backward(f.chol, n, forward(f.chol, n, e));
    for (let i = 0; i < n; i++) w[i * n + j] = f.alpha[i] * f.alpha[j] - col[i];
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const wij = w[i * n + j];
      const r = Math.sqrt(sqDistScaled(x[i], x[j], h.lengthScales));
      const ex = Math.exp(-SQRT5 * r);
      // d k / d log c = k (without noise); d k / d log l_d = c (5/3)(1 + sqrt5 r) e^(-sqrt5 r) (dx_d / l_d)^2.
      grad[0] += 0.5 * wij * h.constant * (1 + SQRT5 * r + (5 / 3) * r * r) * ex;
      const common = h.constant * (5 / 3) * (1 + SQRT5 * r) * ex;
      for (let d = 0; d < dims; d++) {
        const t = (x[i][d] - x[j][d]) / h.lengthScales[d];
        grad[1 + d] += 0.5 * wij * common * t * t;
      }
    }
    grad[dims + 1] += 0.5 * w[i * n + i] * h.noise;
  }
  return { value, grad };
}

export interface GpFitOptions {
  /** Random restarts of the hyperparameter search beyond the default start (skopt: 2). */
  restarts?: number;
  rng: Rng;
  /** Fixed hyperparameters: no fit (the constant liar re-factorises with the ones already found). */
  hyper?: GpHyper;
}

export function fitGp(x: Float64Array[], yRaw: ArrayLike<number>, options: GpFitOptions): FittedGp {
  const n = x.length;
  const dims = x[0]?.length ?? 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yRaw[i];
  mean /= n;
  let sd = 0;
  for (let i = 0; i < n; i++) sd += (yRaw[i] - mean) ** 2;
  sd = Math.sqrt(sd / n);
  if (!(sd > 0)) sd = 1;
  const y = Float64Array.from({ length: n }, (_v, i) => (yRaw[i] - mean) / sd);

  const lower = new Float64Array(dims + 2);
  const upper = new Float64Array(dims + 2);
  lower[0] = Math.log(GP_BOUNDS.constant[0]);
  upper[0] = Math.log(GP_BOUNDS.constant[1]);
  for (let d = 0; d < dims; d++) {
    lower[1 + d] = Math.log(GP_BOUNDS.lengthScale[0]);
    upper[1 + d] = Math.log(GP_BOUNDS.lengthScale[1]);
  }
  lower[dims + 1] = Math.log(GP_BOUNDS.noise[0]);
  upper[dims + 1] = Math.log(GP_BOUNDS.noise[1]);

  let hyper: GpHyper;
  let lml: number;
  if (options.hyper) {
    hyper = options.hyper;
    const theta = new Float64Array(dims + 2);
    theta[0] = Math.log(hyper.constant);
    hyper.lengthScales.forEach((l, i) => (theta[1 + i] = Math.log(l)));
    theta[dims + 1] = Math.log(hyper.noise);
    lml = logMarginalLikelihood(x, y, theta).value;
  } else {
    // Start at the kernel's initial values (c = 1, l = 1, noise = 1), then restarts drawn log-uniformly
    // within the bounds, as sklearn's GaussianProcessRegressor does.
    const starts = [new Float64Array(dims + 2)];
    for (let r = 0; r < (options.restarts ?? 2); r++) {
      starts.push(
        Float64Array.from(
          { length: dims + 2 },
          (_v, i) => lower[i] + options.rng.next() * (upper[i] - lower[i]),
        ),
      );
    }
    let best: { x: Float64Array; value: number } | null = null;
    for (const s of starts) {
      const res = minimizeBox(
        {
          f: (t) => {
            const r = logMarginalLikelihood(x, y, t);
            return { value: -r.value, grad: r.grad.map((g) => -g) };
          },
          lower,
          upper,
        },
        s,
        { maxIter: 60, gtol: 1e-5, ftol: 1e-9 },
      );
      if (Number.isFinite(res.value) && (!best || res.value < best.value)) best = res;
    }
    const theta = best?.x ?? starts[0];
    hyper = hyperFrom(theta);
    lml = best ? -best.value : -Infinity;
  }
  const f = factor(x, y, hyper);
  if (!f) throw new Error("GP covariance is not positive definite even with jitter");
  return {
    hyper,
    logMarginalLikelihood: lml,
    predict(points) {
      const m = points.length;
      const outMean = new Float64Array(m);
      const outStd = new Float64Array(m);
      const ks = new Float64Array(n);
      for (let p = 0; p < m; p++) {
        let mu = 0;
        for (let i = 0; i < n; i++) {
          ks[i] = kernel(points[p], x[i], hyper);
          mu += ks[i] * f.alpha[i];
        }
        const v = forward(f.chol, n, ks);
        let vv = 0;
        for (let i = 0; i < n; i++) vv += v[i] * v[i];
        const variance = Math.max(0, hyper.constant - vv);
        outMean[p] = mu * sd + mean;
        outStd[p] = Math.sqrt(variance) * sd;
      }
      return { mean: outMean, std: outStd };
    },
  };
}
