import { normalCdf, normalPdf } from "../synth/math/special.ts";
import type { Rng } from "../random.ts";
import type { FittedGp } from "./gp.ts";
import { minimizeBox, withNumericGradient } from "./lbfgs.ts";

/**
 * Acquisition functions in the minimisation convention of scikit-optimize (skopt.acquisition): the optimiser
 * minimises the objective, so improvement is y_best - mu. Defaults as gp_minimize's: xi = 0.01 (EI, PI),
 * kappa = 1.96 (LCB), acq_func="gp_hedge" with eta = 1.
 */
export const ACQUISITIONS = ["EI", "PI", "LCB", "gp_hedge"] as const;
export type AcquisitionKind = (typeof ACQUISITIONS)[number];
export type BaseAcquisition = Exclude<AcquisitionKind, "gp_hedge">;
/** gp_hedge's portfolio, in skopt's order. */
export const HEDGE_PORTFOLIO: readonly BaseAcquisition[] = ["LCB", "EI", "PI"];

export interface AcquisitionParams {
  xi?: number;
  kappa?: number;
}

/** Expected improvement below yBest: (yBest - xi - mu) Phi(z) + sigma phi(z), z = (yBest - xi - mu) / sigma. */
export function expectedImprovement(mu: number, sigma: number, yBest: number, xi = 0.01): number {
  const imp = yBest - xi - mu;
  if (!(sigma > 0)) return Math.max(0, imp);
  const z = imp / sigma;
  return imp * normalCdf(z) + sigma * normalPdf(z);
}

export function probabilityOfImprovement(mu: number, sigma: number, yBest: number, xi = 0.01): number {
  const imp = yBest - xi - mu;
  if (!(sigma > 0)) return imp > 0 ? 1 : 0;
  return normalCdf(imp / sigma);
}

export const lowerConfidenceBound = (mu: number, sigma: number, kappa = 1.96): number => mu - kappa * sigma;

/** The acquisition as a value to minimise (skopt's _gaussian_acquisition: -EI, -PI, LCB). */
export function acquisitionValues(
  kind: BaseAcquisition,
  mean: Float64Array,
  std: Float64Array,
  yBest: number,
  params: AcquisitionParams = {},
): Float64Array {
  const out = new Float64Array(mean.length);
  for (let i = 0; i < mean.length; i++) {
    if (kind === "EI") out[i] = -expectedImprovement(mean[i], std[i], yBest, params.xi ?? 0.01);
    else if (kind === "PI") out[i] = -probabilityOfImprovement(mean[i], std[i], yBest, params.xi ?? 0.01);
    else out[i] = lowerConfidenceBound(mean[i], std[i], params.kappa ?? 1.96);
  }
  return out;
}

export interface AcquisitionSearch {
  /** Random candidates scored (skopt n_points = 10000; 2000 here, measured enough on the bench functions). */
  candidates?: number;
  /** Best candidates refined by bounded L-BFGS (skopt's acq_optimizer="lbfgs" with n_restarts_optimizer=5). */
  refine?: number;
}

/**
 * The minimiser of an acquisition over the unit box: random candidates (drawn by `sample`, so categorical
 * one-hots are exact), then local bounded L-BFGS from the best few, finite-difference gradients; the caller
 * decodes (and so rounds categorical and integer coordinates) the result.
 */
export function minimizeAcquisition(
  gp: FittedGp,
  kind: BaseAcquisition,
  yBest: number,
  sample: () => Float64Array,
  width: number,
  search: AcquisitionSearch = {},
  params: AcquisitionParams = {},
): { x: Float64Array; value: number } {
  const cands = Array.from({ length: search.candidates ?? 2000 }, sample);
  const score = (pts: Float64Array[]): Float64Array => {
    const { mean, std } = gp.predict(pts);
    return acquisitionValues(kind, mean, std, yBest, params);
  };
  const values = score(cands);
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
  let best = { x: cands[order[0]], value: values[order[0]] };
  const lower = new Float64Array(width);
  const upper = new Float64Array(width).fill(1);
  const f = withNumericGradient((x) => score([x])[0], lower, upper);
  for (const i of order.slice(0, search.refine ?? 5)) {
    const res = minimizeBox({ f, lower, upper }, cands[i], { maxIter: 30, gtol: 1e-7, ftol: 1e-9 });
    if (res.value < best.value) best = { x: res.x, value: res.value };
  }
  return best;
}

/**
 * gp_hedge's choice (Hoffman, Brochu & de Freitas 2011, as skopt implements it): each portfolio member has
 * a gain; one is picked with probability softmax(eta * gains). After an evaluation every member's gain is
 * reduced by the refitted model's mean at the point that member proposed (hedgeGains).
 */
export function hedgeChoice(gains: ArrayLike<number>, rng: Rng, eta = 1): number {
  let max = -Infinity;
  for (let i = 0; i < gains.length; i++) max = Math.max(max, eta * gains[i]);
  const w = Array.from({ length: gains.length }, (_v, i) => Math.exp(eta * gains[i] - max));
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < w.length; i++) {
    u -= w[i];
    if (u < 0) return i;
  }
  return w.length - 1;
}

export function hedgeGains(
  previous: ArrayLike<number>,
  gp: FittedGp,
  proposals: Float64Array[],
): Float64Array {
  const { mean } = gp.predict(proposals);
  return Float64Array.from(previous, (g, i) => g - mean[i]);
}
