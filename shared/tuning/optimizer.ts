import { z } from "zod";
import { validationError } from "../errors.ts";
import { createRng, type Rng } from "../random.ts";
import {
  ACQUISITIONS,
  HEDGE_PORTFOLIO,
  hedgeChoice,
  hedgeGains,
  minimizeAcquisition,
  type BaseAcquisition,
} from "./acquisition.ts";
import { fitGp } from "./gp.ts";
import { gridPoints } from "./grid.ts";
import { lhsPoints } from "./lhs.ts";
import { randomPoints, randomUnit } from "./random.ts";
import { decode, encode, pointKey, type Params, type Space } from "./space.ts";

/**
 * The ask/tell optimiser. It minimises: callers tell it a value to minimise (objective.ts gives -score).
 * Its whole state is the list of trials (asked points, with their value once told), so a study stopped
 * and resumed from its trials proposes exactly what it would have proposed: every proposal's randomness is
 * drawn from a generator seeded by (seed, number of trials so far), never from a running stream.
 *
 * Defaults are gp_minimize's (https://scikit-optimize.github.io/stable/modules/generated/skopt.gp_minimize.html):
 * n_initial_points=10, initial_point_generator="random", acq_func="gp_hedge", xi=0.01, kappa=1.96,
 * n_restarts_optimizer=5, noise="gaussian"; acq_optimizer="auto" there resolves to "lbfgs" for a GP, which
 * is what acquisition.ts does. n_points is 10000 there, 2000 here.
 */
export const METHODS = ["grid", "random", "bayesian"] as const;
export type Method = (typeof METHODS)[number];

export const optimizerOptionsSchema = z.object({
  method: z.enum(METHODS).default("bayesian"),
  seed: z.number().int().default(0),
  /** gp_minimize's n_initial_points = 10. */
  initialPoints: z.number().int().positive().default(10),
  /** gp_minimize's initial_point_generator="random"; "lhs" for a Latin hypercube. */
  initialPointGenerator: z.enum(["random", "lhs"]).default("random"),
  /** gp_minimize's acq_func="gp_hedge". */
  acquisition: z.enum(ACQUISITIONS).default("gp_hedge"),
  xi: z.number().nonnegative().default(0.01),
  kappa: z.number().nonnegative().default(1.96),
  /** gp_hedge's eta = 1. */
  eta: z.number().positive().default(1),
  /** Random candidates per acquisition optimisation (skopt n_points = 10000; fewer here, see acquisition.ts). */
  candidates: z.number().int().positive().default(2000),
  /** L-BFGS refinements from the best candidates (skopt's n_restarts_optimizer = 5). */
  refine: z.number().int().nonnegative().default(5),
  /** Random restarts of the GP hyperparameter fit (skopt's n_restarts_optimizer = 2 for the GP). */
  gpRestarts: z.number().int().nonnegative().default(2),
  gridPointsPerDimension: z.number().int().positive().default(5),
  gridMaxPoints: z.number().int().positive().default(1000),
});
export type OptimizerOptions = z.input<typeof optimizerOptionsSchema>;

const levelSchema = z.union([z.string(), z.number(), z.boolean()]);
export const trialSchema = z.object({
  params: z.record(z.string(), levelSchema),
  /** The value to minimise; null while the trial runs. */
  value: z.number().finite().nullable().default(null),
  feasible: z.boolean().default(true),
  pruned: z.boolean().default(false),
  /** What proposed it; gp_hedge keeps its gains and its portfolio's proposals here (the next ask updates them). */
  proposal: z
    .object({
      by: z.string(),
      gains: z.array(z.number()).optional(),
      candidates: z.array(z.array(z.number())).optional(),
    })
    .optional(),
});
export type TrialInput = z.input<typeof trialSchema>;
export type Trial = z.output<typeof trialSchema>;

export interface Optimizer {
  readonly space: Space;
  /** n proposals that differ (pending ones count as told the constant liar's value). Fewer when the space is exhausted. */
  ask(n?: number): Params[];
  tell(params: Params, value: number, status?: { feasible?: boolean; pruned?: boolean }): void;
  trials(): Trial[];
  /** The feasible, unpruned trial of lowest value. */
  best(): Trial | undefined;
}

const seedFor = (seed: number, index: number): number =>
  (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;

export function createOptimizer(
  space: Space,
  options: OptimizerOptions = {},
  trials: TrialInput[] = [],
): Optimizer {
  const opts = optimizerOptionsSchema.parse(options);
  const list: Trial[] = trials.map((t) => trialSchema.parse(t));
  const keys = (): Set<string> => new Set(list.map((t) => pointKey(space, t.params)));
  let grid: Params[] | null = null;
  let design: Params[] | null = null;

  const randomNew = (rng: Rng, taken: Set<string>): Params | null => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const [p] = randomPoints(space, 1, rng);
      if (!taken.has(pointKey(space, p))) return p;
    }
    return null;
  };

  function proposeOne(): Trial | null {
    const index = list.length;
    const rng = createRng(seedFor(opts.seed, index));
    const taken = keys();
    if (opts.method === "grid") {
      grid ??= gridPoints(space, {
        pointsPerDimension: opts.gridPointsPerDimension,
        maxPoints: opts.gridMaxPoints,
      });
      const p = grid.find((g) => !taken.has(pointKey(space, g)));
      return p ? { params: p, value: null, feasible: true, pruned: false, proposal: { by: "grid" } } : null;
    }
    const told = list.filter((t) => t.value !== null);
    if (opts.method === "random" || index < opts.initialPoints || told.length < 2) {
      if (opts.method === "bayesian" && index < opts.initialPoints) {
        design ??=
          opts.initialPointGenerator === "lhs"
            ? lhsPoints(space, opts.initialPoints, createRng(opts.seed))
            : randomPoints(space, opts.initialPoints, createRng(opts.seed));
        const p = design[index];
        if (!taken.has(pointKey(space, p)))
          return {
            params: p,
            value: null,
            feasible: true,
            pruned: false,
            proposal: { by: opts.initialPointGenerator },
          };
      }
      const p = randomNew(rng, taken);
      return p ? { params: p, value: null, feasible: true, pruned: false, proposal: { by: "random" } } : null;
    }
    return proposeBayesian(rng, taken);
  }

  function proposeBayesian(rng: Rng, taken: Set<string>): Trial | null {
    const feasibleValues = list.filter((t) => t.value !== null && t.feasible).map((t) => t.value as number);
    const worst = feasibleValues.length > 0 ? Math.max(...feasibleValues) : undefined;
    const x: Float64Array[] = [];
    const y: number[] = [];
    for (const t of list) {
      if (t.value === null) continue;
      x.push(encode(space, t.params));
      // An infeasible trial tells the model "no better than the worst feasible one" (skopt has no notion of
      // feasibility; its value alone would pull the search towards the region the privacy floor forbids).
      y.push(t.feasible || worst === undefined ? t.value : Math.max(t.value, worst));
    }
    // skopt's strategy="cl_min": a pending point is told the lowest value seen, so the next proposal moves on.
    const lie = Math.min(...y);
    for (const t of list) {
      if (t.value !== null) continue;
      x.push(encode(space, t.params));
      y.push(lie);
    }
    const gpRng = rng.fork();
    const acqRng = rng.fork();
    const gp = fitGp(x, y, { rng: gpRng, restarts: opts.gpRestarts });
    const yBest = Math.min(...y);
    const sample = () => randomUnit(space, acqRng);
    const search = { candidates: opts.candidates, refine: opts.refine };
    const acqParams = { xi: opts.xi, kappa: opts.kappa };
    let chosen: Float64Array;
    let proposal: Trial["proposal"];
    if (opts.acquisition === "gp_hedge") {
      const previous = [...list].reverse().find((t) => t.proposal?.gains && t.proposal.candidates);
      const gains = previous
        ? hedgeGains(
            previous.proposal!.gains!,
            gp,
            previous.proposal!.candidates!.map((c) => Float64Array.from(c)),
          )
        : new Float64Array(HEDGE_PORTFOLIO.length);
      const candidates = HEDGE_PORTFOLIO.map(
        (kind) => minimizeAcquisition(gp, kind, yBest, sample, space.width, search, acqParams).x,
      );
      const pick = hedgeChoice(gains, rng, opts.eta);
      chosen = candidates[pick];
      proposal = {
        by: HEDGE_PORTFOLIO[pick],
        gains: Array.from(gains),
        candidates: candidates.map((c) => Array.from(c)),
      };
    } else {
      const kind = opts.acquisition as BaseAcquisition;
      chosen = minimizeAcquisition(gp, kind, yBest, sample, space.width, search, acqParams).x;
      proposal = { by: kind };
    }
    let params = decode(space, chosen);
    if (taken.has(pointKey(space, params))) {
      // Rounding (integers, one-hot) landed on a point already tried: a fresh random point instead, as skopt
      // does when its proposal repeats an evaluated one.
      const p = randomNew(rng, taken);
      if (!p) return null;
      params = p;
      proposal = { ...proposal, by: `${proposal.by}:random` };
    }
    return { params, value: null, feasible: true, pruned: false, proposal };
  }

  return {
    space,
    ask(n = 1) {
      const out: Params[] = [];
      for (let k = 0; k < n; k++) {
        const t = proposeOne();
        if (!t) break;
        list.push(t);
        out.push(t.params);
      }
      return out;
    },
    tell(params, value, status = {}) {
      if (!Number.isFinite(value))
        throw validationError("a trial's value must be a finite number", { value });
      const key = pointKey(space, params);
      const pending = list.find((t) => t.value === null && pointKey(space, t.params) === key);
      const target = pending ?? { params: { ...params }, value: null, feasible: true, pruned: false };
      target.value = value;
      target.feasible = status.feasible ?? true;
      target.pruned = status.pruned ?? false;
      if (!pending) list.push(target);
    },
    trials: () => list.map((t) => structuredClone(t)),
    best() {
      let best: Trial | undefined;
      for (const t of list) {
        if (t.value === null || !t.feasible || t.pruned) continue;
        if (!best || t.value < (best.value as number)) best = t;
      }
      return best ? structuredClone(best) : undefined;
    },
  };
}

/** Resume a study: the same options and its trials give the same next proposals as the study that ran them. */
export function fromTrials(space: Space, options: OptimizerOptions, trials: TrialInput[]): Optimizer {
  return createOptimizer(space, options, trials);
}
