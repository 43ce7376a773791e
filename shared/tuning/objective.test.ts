import { describe, expect, it } from "vitest";
import { evaluateObjective } from "./objective.ts";
import { paretoFront } from "./pareto.ts";
import { shouldPrune } from "./pruning.ts";

describe("objective", () => {
  it("scores quality by default and is minimised as -score", () => {
    expect(evaluateObjective({ quality: 0.8 })).toEqual({
      score: 0.8,
      feasible: true,
      reasons: [],
      value: -0.8,
    });
  });

  it("mixes quality and ML efficacy by weight", () => {
    const r = evaluateObjective({ quality: 0.8, ml: 0.5 }, { kind: "mix", weights: { quality: 3, ml: 1 } });
    expect(r.score).toBeCloseTo(0.725, 12);
    expect(evaluateObjective({ quality: 0.8, ml: 0.5 }, { kind: "ml" }).score).toBe(0.5);
    expect(() => evaluateObjective({ quality: 0.8 }, { kind: "ml" })).toThrow(/ML efficacy/);
  });

  it("makes a trial below the privacy floor infeasible whatever its quality", () => {
    const good = evaluateObjective({ quality: 0.7, dcrBaselineProtection: 0.5 }, { privacyFloor: 0.2 });
    const leaky = evaluateObjective({ quality: 0.99, dcrBaselineProtection: 0.1 }, { privacyFloor: 0.2 });
    expect(good.feasible).toBe(true);
    expect(leaky.feasible).toBe(false);
    expect(leaky.reasons[0]).toMatch(/below the floor 0.2/);
    expect(evaluateObjective({ quality: 0.9 }, { privacyFloor: 0.2 }).feasible).toBe(false);
  });

  it("makes a trial copying more rows than the real data's own share infeasible", () => {
    expect(evaluateObjective({ quality: 0.9, copyShare: 0.05, realCopyShare: 0.01 }).feasible).toBe(false);
    expect(evaluateObjective({ quality: 0.9, copyShare: 0.01, realCopyShare: 0.01 }).feasible).toBe(true);
  });

  it("divides by CPU seconds when cost-aware", () => {
    expect(evaluateObjective({ quality: 0.8, cpuSeconds: 4 }, { costAware: true }).score).toBeCloseTo(
      0.2,
      12,
    );
    expect(() => evaluateObjective({ quality: 0.8 }, { costAware: true })).toThrow(/CPU seconds/);
  });
});

describe("Pareto front", () => {
  it("keeps the trials no other beats on quality, fit time and privacy together", () => {
    const pts = [
      { quality: 0.8, fitSeconds: 10, privacy: 0.5 }, // front: best quality
      { quality: 0.7, fitSeconds: 5, privacy: 0.5 }, // front: fastest
      { quality: 0.7, fitSeconds: 6, privacy: 0.5 }, // dominated by 1
      { quality: 0.6, fitSeconds: 20, privacy: 0.9 }, // front: most private
      { quality: 0.6, fitSeconds: 20, privacy: 0.4 }, // dominated by 0
      { quality: 0.8, fitSeconds: 10, privacy: 0.5 }, // a tie with 0: neither dominates
    ];
    expect(paretoFront(pts)).toEqual([0, 1, 3, 5]);
  });
});

describe("median pruning", () => {
  const curves = [0.5, 0.6, 0.7, 0.8, 0.9].map(
    (q) =>
      new Map([
        [10, q],
        [20, q + 0.05],
      ]),
  );
  it("prunes a trial below the completed trials' median at the same step", () => {
    expect(shouldPrune(0.65, 10, curves)).toBe(true);
    expect(shouldPrune(0.75, 10, curves)).toBe(false);
    expect(shouldPrune(0.7, 20, curves)).toBe(true);
    expect(shouldPrune(0.8, 20, curves, { direction: "minimize" })).toBe(true);
  });
  it("prunes nothing during the warm-up (trials or steps) or at steps nobody reported", () => {
    expect(shouldPrune(0.1, 10, curves.slice(0, 4))).toBe(false);
    expect(shouldPrune(0.1, 10, curves, { warmupSteps: 15 })).toBe(false);
    expect(shouldPrune(0.1, 30, curves)).toBe(false);
  });
});
