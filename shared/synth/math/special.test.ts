import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { marginalQuantile } from "../copula/marginals.ts";
import { betaI, digamma, gammaP, logGamma, normalCdf, normalPpf } from "./special.ts";

describe("special functions", () => {
  it("match known values", () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 12);
    expect(digamma(0.5)).toBeCloseTo(-1.9635100260214235, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 14);
    expect(gammaP(2, 3)).toBeCloseTo(1 - 4 * Math.exp(-3), 12);
    expect(betaI(2, 3, 0.4)).toBeCloseTo(0.5248, 12);
  });

  it("inverts the normal CDF to 1e-9 over the whole range", () => {
    // Above ~5 the upper tail 1 - p underflows double precision, so only the lower tail goes further.
    for (const x of [-8, -5, -2.5, -0.3, 0, 0.7, 2, 4.5]) {
      expect(normalPpf(normalCdf(x))).toBeCloseTo(x, 8);
    }
  });
});

describe("against SciPy (tests/fixtures/synth/special-scipy.py)", () => {
  const f = JSON.parse(
    readFileSync(new URL("../../../tests/fixtures/synth/special-scipy.json", import.meta.url), "utf8"),
  ) as Record<string, number[][]>;
  const close = (ours: number, theirs: number) =>
    expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(1e-12 + 1e-10 * Math.abs(theirs));

  it("regularised incomplete gamma and beta", () => {
    for (const [a, x, p] of f.gammaP) close(gammaP(a, x), p);
    for (const [a, b, x, p] of f.betaI) close(betaI(a, b, x), p);
  });

  it("inverse normal CDF and digamma", () => {
    for (const [p, x] of f.normalPpf) close(normalPpf(p), x);
    for (const [x, d] of f.digamma) close(digamma(x), d);
  });

  it("truncated normal quantiles of the copula marginal", () => {
    for (const [lo, hi, mu, sigma, u, x] of f.truncnormPpf) {
      close(marginalQuantile({ family: "truncnorm", lo, hi, mu, sigma }, u), x);
    }
  });
});
