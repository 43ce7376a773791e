import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normalCdf } from "../math/special.ts";
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

describe("against scikit-learn (tests/fixtures/synth/bgm-sklearn.py)", () => {
  interface Case {
    x: number[];
    weights: number[];
    means: number[];
    stds: number[];
  }
  const fixture = JSON.parse(
    readFileSync(new URL("../../../tests/fixtures/synth/bgm-sklearn.json", import.meta.url), "utf8"),
  ) as { cases: Record<string, Case> };
  const kept = (c: { weights: number[]; means: number[]; stds: number[] }) =>
    c.weights
      .map((w, k) => ({ w, mean: c.means[k], std: c.stds[k] }))
      .filter((m) => m.w > 0.005)
      .sort((a, b) => a.mean - b.mean);
  const mixtureCdf = (modes: { w: number; mean: number; std: number }[], x: number) =>
    modes.reduce((acc, m) => acc + m.w * normalCdf((x - m.mean) / m.std), 0) /
    modes.reduce((acc, m) => acc + m.w, 0);

  for (const name of ["trimodal", "years"]) {
    it(`${name}: the same kept components, weights, means and stds`, () => {
      const c = fixture.cases[name];
      const ours = kept(fitBayesianMixture(Float64Array.from(c.x), createRng(0)));
      const theirs = kept(c);
      expect(ours).toHaveLength(theirs.length);
      ours.forEach((m, k) => {
        expect(m.mean).toBeCloseTo(theirs[k].mean, 3);
        expect(m.std / theirs[k].std).toBeCloseTo(1, 3);
        // Stick-breaking weights depend on the components' index order (set by k-means labels), so they
        // agree to the keep threshold's scale rather than to the last digit.
        expect(m.w).toBeCloseTo(theirs[k].w, 2);
      });
    });
  }

  it("skewed integers (no unique optimum, sklearn does not converge either): the same distribution", () => {
    const c = fixture.cases.skewed_integers;
    const ours = kept(fitBayesianMixture(Float64Array.from(c.x), createRng(0)));
    const theirs = kept(c);
    for (const q of [5, 10, 15, 20, 30, 50, 80, 150]) {
      expect(Math.abs(mixtureCdf(ours, q) - mixtureCdf(theirs, q))).toBeLessThan(0.01);
    }
  });
});
