/**
 * `npm run bench -- tuning [--seeds 20] [--budget 50] [--random-budget 2000] [--acquisition gp_hedge]`: the tuner's Bayesian
 * search (gp_minimize's defaults: 10 random initial points, gp_hedge) against random search on Branin,
 * Hartmann-6 and Rosenbrock-5. Per function and method, over seeds: evaluations until the best value is
 * within 1% of the optimum (relative gap (best - f*) / max(|f*|, 1) <= 0.01, shared/tuning/test-functions.ts),
 * the best value and gap at the budget, and the time per ask. One core, a few minutes at the defaults.
 */
import { ACQUISITIONS, type AcquisitionKind } from "../shared/tuning/acquisition.ts";
import { createOptimizer, type Method } from "../shared/tuning/optimizer.ts";
import { parseSpace } from "../shared/tuning/space.ts";
import { relativeGap, TEST_FUNCTIONS, type TestFunction } from "../shared/tuning/test-functions.ts";
import { arg, median } from "./lib/args.ts";

const TARGET_GAP = 0.01;

interface RunResult {
  evalsToTarget: number | null;
  /** Best value after `budget` evaluations (random search runs on past it). */
  bestAtBudget: number;
  msPerAsk: number;
}

function runOnce(
  fn: TestFunction,
  method: Method,
  seed: number,
  limit: number,
  acquisition: AcquisitionKind,
  budget: number,
): RunResult {
  const space = parseSpace(fn.space);
  const opt = createOptimizer(space, { method, seed, acquisition });
  let best = Infinity;
  let evalsToTarget: number | null = null;
  let askMs = 0;
  let bestAtBudget = Infinity;
  for (let i = 1; i <= limit; i++) {
    const t0 = performance.now();
    const [p] = opt.ask(1);
    askMs += performance.now() - t0;
    const v = fn.f(space.dimensions.map((d) => p[d.name] as number));
    opt.tell(p, v);
    best = Math.min(best, v);
    if (i === budget) bestAtBudget = best;
    if (evalsToTarget === null && relativeGap(best, fn.optimum) <= TARGET_GAP) evalsToTarget = i;
  }
  return { evalsToTarget, bestAtBudget, msPerAsk: askMs / limit };
}

export async function run(args: string[]): Promise<unknown> {
  const seeds = Number(arg(args, "seeds", "20"));
  const budget = Number(arg(args, "budget", "50"));
  const acquisition = arg(args, "acquisition", "gp_hedge") as AcquisitionKind;
  // Random search is cheap to run far past the budget, so its count to the target is measured, not censored.
  const randomBudget = Number(arg(args, "random-budget", String(budget * 40)));
  if (!ACQUISITIONS.includes(acquisition))
    throw new Error(`--acquisition is one of ${ACQUISITIONS.join(", ")}`);
  const functions = [];
  for (const fn of TEST_FUNCTIONS) {
    const methods: Record<string, unknown> = {};
    for (const method of ["bayesian", "random"] as const) {
      const limit = method === "random" ? randomBudget : budget;
      const runs = Array.from({ length: seeds }, (_v, s) =>
        runOnce(fn, method, s + 1, limit, acquisition, budget),
      );
      const reached = runs.filter((r) => r.evalsToTarget !== null).length;
      // Unreached runs count as budget + 1 (censored): the median is a real count only when over half reach.
      const evals = runs.map((r) => r.evalsToTarget ?? limit + 1);
      const med = median(evals);
      methods[method] = {
        evaluations: limit,
        medianEvalsToTarget: med > limit ? `>${limit}` : med,
        reached: `${reached}/${seeds}`,
        medianBestAtBudget: median(runs.map((r) => r.bestAtBudget)),
        medianGapAtBudget: median(runs.map((r) => relativeGap(r.bestAtBudget, fn.optimum))),
        medianMsPerAsk: +median(runs.map((r) => r.msPerAsk)).toFixed(2),
      };
      process.stderr.write(`${fn.name} ${method}: ${JSON.stringify(methods[method])}\n`);
    }
    functions.push({ name: fn.name, optimum: fn.optimum, ...methods });
  }
  return {
    seeds,
    budget,
    randomBudget,
    acquisition,
    target: "relative gap (best - f*) / max(|f*|, 1) <= 0.01",
    functions,
    reference:
      "scikit-optimize: skopt.benchmarks.branin gives f* = 0.397887 (same optimum as here); gp_minimize's defaults " +
      "(n_initial_points=10, initial_point_generator='random', acq_func='gp_hedge', n_points=10000, xi=0.01, kappa=1.96, " +
      "noise='gaussian') are the ones used. The brief quotes skopt's Branin example as reaching ~0.398 within ~20-30 calls; " +
      "that page was not found in the docs searched, so the quote is unverified.",
  };
}
