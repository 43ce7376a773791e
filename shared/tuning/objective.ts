import { z } from "zod";

/**
 * How a trial's measured metrics become one score (higher is better) and whether the trial counts at all.
 * Pure: the runner measures, this decides. The optimiser minimises, so it is told `-score`.
 */
export const objectiveSchema = z.object({
  /** quality: the holdout report's overall score (default); ml: ML efficacy; mix: a weighted mean of both. */
  kind: z.enum(["quality", "ml", "mix"]).default("quality"),
  weights: z
    .object({ quality: z.number().nonnegative(), ml: z.number().nonnegative() })
    .default({ quality: 0.5, ml: 0.5 }),
  /** Minimum DCR baseline protection (0..1); below it a trial is infeasible whatever its quality. */
  privacyFloor: z.number().min(0).max(1).optional(),
  /** Score per CPU-second instead of score: for "better synthesizer per CPU-minute" studies. */
  costAware: z.boolean().default(false),
});
export type ObjectiveConfig = z.input<typeof objectiveSchema>;

export interface TrialMetrics {
  /** Overall quality on the holdout split, 0..1. */
  quality: number;
  /** ML efficacy (synthetic-trained score over real-trained), when a target was given. */
  ml?: number;
  /** DCR baseline protection, 0..1 (1: as far from the real rows as fresh real data is). */
  dcrBaselineProtection?: number;
  /** Share of synthetic rows that copy a training row. */
  copyShare?: number;
  /** The same share for the real holdout against the training rows: the data's own rate of duplicates. */
  realCopyShare?: number;
  fitSeconds?: number;
  cpuSeconds?: number;
}

export interface ObjectiveResult {
  score: number;
  feasible: boolean;
  /** Why a trial is infeasible (empty when feasible). */
  reasons: string[];
  /** What the optimiser minimises. */
  value: number;
}

export function evaluateObjective(metrics: TrialMetrics, config: ObjectiveConfig = {}): ObjectiveResult {
  const c = objectiveSchema.parse(config);
  const reasons: string[] = [];
  let score: number;
  if (c.kind === "quality") score = metrics.quality;
  else {
    if (metrics.ml === undefined)
      throw new TypeError(`objective ${c.kind} needs the ML efficacy (a target column)`);
    if (c.kind === "ml") score = metrics.ml;
    else {
      const total = c.weights.quality + c.weights.ml;
      score = total > 0 ? (c.weights.quality * metrics.quality + c.weights.ml * metrics.ml) / total : 0;
    }
  }
  if (c.privacyFloor !== undefined) {
    const p = metrics.dcrBaselineProtection;
    if (p === undefined || !(p >= c.privacyFloor)) {
      reasons.push(`DCR baseline protection ${p ?? "unmeasured"} below the floor ${c.privacyFloor}`);
    }
  }
  if (
    metrics.copyShare !== undefined &&
    metrics.realCopyShare !== undefined &&
    metrics.copyShare > metrics.realCopyShare
  ) {
    reasons.push(
      `copies ${metrics.copyShare} of the training rows, more than the real data's own ${metrics.realCopyShare}`,
    );
  }
  if (c.costAware) {
    const cpu = metrics.cpuSeconds ?? metrics.fitSeconds;
    if (!(cpu !== undefined && cpu > 0))
      throw new TypeError("a cost-aware objective needs the CPU seconds of the trial");
    score /= cpu;
  }
  return { score, feasible: reasons.length === 0, reasons, value: -score };
}
