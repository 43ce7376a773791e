import { describe, expect, it } from "vitest";
import { createRng } from "../../random.ts";
import { fitBayesianMixture, mixturePosterior } from "./bayesian-mixture.ts";

function bimodal(n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = i % 3 === 0 ? 50 + 2 * rng.normal() : -10 + 1 * rng.normal();
  return x;
}

describe("fitBayesianMixture", () => {
  it("finds the two modes of a bimodal sample and gives the rest negligible weight", () => {
    const x = bimodal(3000, 1);
    const state = fitBayesianMixture(x, createRng(2));
    const kept = state.weights.flatMap((w, k) => (w > 0.005 ? [k] : []));
    expect(kept).toHaveLength(2);
    const modes = kept.map((k) => ({ mean: state.means[k], std: state.stds[k], weight: state.weights[k] }));
    modes.sort((a, b) => a.mean - b.mean);
    expect(modes[0].mean).toBeCloseTo(-10, 1);
    expect(modes[1].mean).toBeCloseTo(50, 0);
    expect(modes[0].weight).toBeCloseTo(2 / 3, 2);
    expect(modes[1].weight).toBeCloseTo(1 / 3, 2);
    // The Wishart posterior mean of the variance (sklearn's covariances_) with covariance_prior = var(X):
    // (var(X) + n_k s_k + n_k / (1 + n_k) (xbar_k - xbar)^2) / (1 + n_k), computed here from the two halves.
    const all = Array.from(x);
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const varX = all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1);
    const groups = [all.filter((_, i) => i % 3 !== 0), all.filter((_, i) => i % 3 === 0)];
    groups.forEach((g, m) => {
      const nk = g.length;
      const xk = g.reduce((a, b) => a + b, 0) / nk;
      const sk = g.reduce((a, b) => a + (b - xk) ** 2, 0) / nk;
      const expected = Math.sqrt((varX + nk * sk + (nk / (1 + nk)) * (xk - mean) ** 2) / (1 + nk));
      expect(modes[m].std / expected).toBeCloseTo(1, 2);
    });
    expect(state.converged).toBe(true);
  });

  it("assigns each value to the mode it came from", () => {
    const state = fitBayesianMixture(bimodal(600, 3), createRng(4));
    const post = mixturePosterior(state, Float64Array.from([-10, 50]));
    const k = state.means.length;
    const argmax = (row: number) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (post[row * k + c] > post[row * k + best]) best = c;
      return best;
    };
    expect(state.means[argmax(0)]).toBeCloseTo(-10, 0);
    expect(state.means[argmax(1)]).toBeCloseTo(50, 0);
  });

  it("is deterministic for a seed", () => {
    const a = fitBayesianMixture(bimodal(500, 5), createRng(9));
    const b = fitBayesianMixture(bimodal(500, 5), createRng(9));
    expect(a).toEqual(b);
  });

  it("copes with fewer distinct values than components", () => {
    const x = Float64Array.from({ length: 300 }, (_, i) => 2007 + (i % 3));
    const state = fitBayesianMixture(x, createRng(1));
    for (const v of [...state.means, ...state.stds, ...state.weights]) expect(Number.isFinite(v)).toBe(true);
  });
});
