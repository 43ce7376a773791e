import { describe, expect, it } from "vitest";
import { createOptimizer, fromTrials, type OptimizerOptions } from "./optimizer.ts";
import { parseSpace, pointKey, type Params } from "./space.ts";
import { branin } from "./test-functions.ts";

const space = parseSpace(branin.space);
const f = (p: Params) => branin.f([p.x1 as number, p.x2 as number]);
// Small acquisition searches keep the suite quick; the behaviour tested does not depend on their size.
const fast = { candidates: 300, refine: 2, gridPointsPerDimension: 6 } satisfies OptimizerOptions;

function run(options: OptimizerOptions, n: number) {
  const opt = createOptimizer(space, { ...fast, ...options });
  for (let i = 0; i < n; i++) {
    const [p] = opt.ask();
    if (!p) break;
    opt.tell(p, f(p));
  }
  return opt;
}

const METHODS: OptimizerOptions[] = [
  { method: "grid" },
  { method: "random" },
  { method: "bayesian", acquisition: "EI" },
  { method: "bayesian", acquisition: "LCB" },
  { method: "bayesian", acquisition: "PI" },
  { method: "bayesian", acquisition: "gp_hedge", initialPointGenerator: "lhs" },
];

describe("optimizer", () => {
  it.each(METHODS)("is reproducible for a seed: %o", (m) => {
    const a = run({ ...m, seed: 11 }, 13).trials();
    const b = run({ ...m, seed: 11 }, 13).trials();
    expect(a).toEqual(b);
    expect(a).toHaveLength(13);
    if (m.method !== "grid") expect(run({ ...m, seed: 12 }, 13).trials()).not.toEqual(a);
  });

  it("walks the grid without repeating and stops when it is exhausted", () => {
    const opt = run({ method: "grid" }, 100);
    const t = opt.trials();
    expect(t).toHaveLength(36);
    expect(new Set(t.map((x) => pointKey(space, x.params))).size).toBe(36);
    expect(opt.ask(1)).toEqual([]);
  });

  it("beats random search on Branin with the GP after its 10 initial points", () => {
    const bayes = run({ method: "bayesian", acquisition: "EI", seed: 3 }, 25).best()!.value!;
    const random = run({ method: "random", seed: 3 }, 25).best()!.value!;
    expect(bayes).toBeLessThan(random);
    expect(bayes).toBeLessThan(1);
  });

  it("proposes distinct points in parallel asks (constant liar), also after the initial design", () => {
    const opt = run({ method: "bayesian", acquisition: "EI", seed: 5 }, 12);
    const batch = opt.ask(4);
    expect(batch).toHaveLength(4);
    const keys = new Set(batch.map((p) => pointKey(space, p)));
    expect(keys.size).toBe(4);
    for (const p of batch) {
      const nearest = Math.min(
        ...batch
          .filter((q) => q !== p)
          .map((q) => Math.hypot((q.x1 as number) - (p.x1 as number), (q.x2 as number) - (p.x2 as number))),
      );
      expect(nearest).toBeGreaterThan(1e-3);
    }
    // Told out of order, they are matched to their pending trials.
    for (const p of [...batch].reverse()) opt.tell(p, f(p));
    expect(opt.trials().filter((t) => t.value === null)).toHaveLength(0);
    expect(opt.trials()).toHaveLength(16);
  });

  it.each([{ acquisition: "gp_hedge" as const }, { acquisition: "EI" as const }])(
    "resumes from its trials (through JSON) with the same next proposals: %o",
    (m) => {
      const options = { ...fast, method: "bayesian" as const, seed: 9, ...m };
      const original = run(options, 14);
      const pendingOne = original.ask(1);
      const resumed = fromTrials(space, options, JSON.parse(JSON.stringify(original.trials())));
      expect(resumed.trials()).toEqual(original.trials());
      const next = original.ask(2);
      expect(resumed.ask(2)).toEqual(next);
      expect(next.map((p) => pointKey(space, p))).not.toContain(pointKey(space, pendingOne[0]));
    },
  );

  it("keeps infeasible and pruned trials out of best()", () => {
    const opt = createOptimizer(space, { method: "random", seed: 1 });
    const [a, b, c] = opt.ask(3);
    opt.tell(a, -10, { feasible: false });
    opt.tell(b, -5, { pruned: true });
    opt.tell(c, 3);
    expect(opt.best()?.params).toEqual(c);
  });

  it("refuses a non-finite value", () => {
    const opt = createOptimizer(space, { method: "random" });
    const [p] = opt.ask();
    expect(() => opt.tell(p, Number.NaN)).toThrow(/finite/);
  });
});
