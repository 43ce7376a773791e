import { describe, expect, it } from "vitest";
import { createRng } from "../random.ts";
import {
  acquisitionValues,
  expectedImprovement,
  hedgeChoice,
  lowerConfidenceBound,
  minimizeAcquisition,
  probabilityOfImprovement,
} from "./acquisition.ts";
import { fitGp } from "./gp.ts";

describe("acquisition functions", () => {
  it("computes EI and PI as the closed form (minimisation, xi = 0.01)", () => {
    // mu 0.2, sigma 0.5, best 0.5: improvement 0.29, z 0.58; EI = 0.29 Phi(0.58) + 0.5 phi(0.58), computed
    // independently with Python's math.erf.
    expect(expectedImprovement(0.2, 0.5, 0.5)).toBeCloseTo(0.3771123523306066, 9);
    expect(probabilityOfImprovement(0.2, 0.5, 0.5)).toBeCloseTo(0.7190426911014356, 9);
    expect(expectedImprovement(1, 0, 0.5)).toBe(0);
    expect(lowerConfidenceBound(1, 0.5)).toBeCloseTo(1 - 0.98, 12);
    const v = acquisitionValues("EI", Float64Array.of(0.2), Float64Array.of(0.5), 0.5);
    expect(v[0]).toBeCloseTo(-0.3771123523306066, 9);
  });

  it("finds the minimum of the GP mean with LCB at kappa 0 (sampling plus L-BFGS refinement)", () => {
    const x = [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => Float64Array.of(v));
    const y = x.map((p) => (p[0] - 0.37) ** 2);
    const gp = fitGp(x, y, { rng: createRng(1) });
    const rng = createRng(2);
    const best = minimizeAcquisition(
      gp,
      "LCB",
      0,
      () => Float64Array.of(rng.next()),
      1,
      { candidates: 50 },
      { kappa: 0 },
    );
    expect(best.x[0]).toBeCloseTo(0.37, 2);
  });

  it("picks gp_hedge members by softmax of their gains", () => {
    const rng = createRng(4);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[hedgeChoice([0, Math.log(2), Math.log(7)], rng)]++;
    expect(counts[0] / 3000).toBeCloseTo(0.1, 1);
    expect(counts[1] / 3000).toBeCloseTo(0.2, 1);
    expect(counts[2] / 3000).toBeCloseTo(0.7, 1);
  });
});
