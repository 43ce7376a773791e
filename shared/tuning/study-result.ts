import { z } from "zod";
import { paretoFront } from "./pareto.ts";
import type { Params } from "./space.ts";

/**
 * A study's trials as records (best.json's and the API's shape) and what is read off them: the best trial
 * and the Pareto front. Free of the engine (trial.ts fits and measures), so the API can import it.
 */
export const HOLDOUT_SHARE = 0.2;

const levelSchema = z.union([z.string(), z.number(), z.boolean()]);

/** A trial as best.json and the API list it (extra measurements kept: quality, ml_efficacy, reasons ...). */
export const trialRecordSchema = z
  .object({
    params: z.record(z.string(), levelSchema),
    score: z.number().nullable(),
    value: z.number(),
    feasible: z.boolean(),
    pruned: z.boolean(),
    proposal: z.object({ by: z.string() }).loose().optional(),
    /**
     * The holdout quality measured at the study's checkpoint epochs (checkpoints.ts), what the median rule
     * compares; absent when the trial was not measured mid-fit (pruning off, no epochs, or a best.json from
     * before pruning), so older files still parse.
     */
    intermediate: z.array(z.object({ epoch: z.number().int().positive(), quality: z.number() })).optional(),
  })
  .loose();
export type TrialRecord = z.output<typeof trialRecordSchema>;

/** Training rows of a table of n rows under splitForTrials (the batch-size cap of the search space). */
export const trainingRowsOf = (n: number): number => Math.round(n * (1 - HOLDOUT_SHARE));

export interface ParetoEntry {
  index: number;
  params: Params;
  score: number | null;
  fit_s: unknown;
  privacy: unknown;
  feasible: boolean;
}

/**
 * The best feasible, unpruned trial (highest score) and the Pareto front of quality, fit time, privacy over
 * the scored, unpruned trials (a pruned trial stopped early: its fit time and quality are not comparable).
 */
export function studyResult(trials: readonly TrialRecord[]): {
  best: (TrialRecord & { index: number }) | null;
  pareto: ParetoEntry[];
} {
  let best: (TrialRecord & { index: number }) | null = null;
  for (const [index, t] of trials.entries()) {
    if (!t.feasible || t.pruned || t.score === null) continue;
    if (best === null || t.score > (best.score as number)) best = { ...t, index };
  }
  // A pruned trial has no final score; the check on `pruned` keeps a hand-edited record out all the same.
  const scored = trials.map((t, index) => ({ t, index })).filter(({ t }) => t.score !== null && !t.pruned);
  const front = paretoFront(
    scored.map(({ t }) => ({
      quality: t.score as number,
      fitSeconds: t.fit_s as number,
      privacy: (t.privacy as { dcr_baseline_protection: number | null } | null)?.dcr_baseline_protection ?? 0,
    })),
  );
  return {
    best,
    pareto: front.map((i) => {
      const { t, index } = scored[i];
      return {
        index,
        params: t.params,
        score: t.score,
        fit_s: t.fit_s,
        privacy: t.privacy,
        feasible: t.feasible,
      };
    }),
  };
}
