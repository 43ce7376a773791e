import { ctganOptionsSchema } from "../synth/ctgan-options.ts";
import { tvaeOptionsSchema } from "../synth/tvae-options.ts";
import type { ModelKind } from "../synth/models.ts";
import type { Curve, MedianRule } from "./pruning.ts";
import type { Space } from "./space.ts";
import type { TrialRecord } from "./study-result.ts";

/**
 * Where a study measures its trials' intermediate quality, and the curves read back off its trials.
 *
 * The checkpoints are absolute epochs, the same for every trial of the study, because the median rule
 * compares trials at equal steps (Optuna's MedianPruner). They are 25%, 50%, 75% and 100% of the smallest
 * epoch count the space allows (its `epochs` dimension's lower bound, or the model's default when the space
 * leaves epochs alone): every trial reaches every checkpoint, so each decision compares like with like. An
 * epoch is a comparable step across trials of different epoch counts because nothing in CTGAN or TVAE
 * depends on the configured total (constant learning rates, no schedule): at epoch k a 300-epoch trial is
 * the model a 50-epoch trial of the same other parameters is. Four checkpoints bound the cost (each samples a
 * holdout-sized table and scores it) while still stopping a poor trial at a quarter of the smallest fit.
 */
const DEFAULT_EPOCHS: Partial<Record<ModelKind, number>> = {
  ctgan: ctganOptionsSchema.parse({}).epochs,
  tvae: tvaeOptionsSchema.parse({}).epochs,
};

export const CHECKPOINT_SHARES = [0.25, 0.5, 0.75, 1] as const;

/** The smallest `epochs` a trial of this space can have; undefined for a model without epochs. */
export function smallestEpochs(model: ModelKind, space: Space): number | undefined {
  const fallback = DEFAULT_EPOCHS[model];
  if (fallback === undefined) return undefined;
  const d = space.dimensions.find((x) => x.name === "epochs");
  if (d === undefined) return fallback;
  if (d.type !== "categorical") return Math.max(1, Math.ceil(d.low));
  const values = d.values.filter((v): v is number => typeof v === "number" && v >= 1);
  return values.length > 0 ? Math.min(...values) : fallback;
}

/** The study's checkpoint epochs, ascending and distinct (empty: nothing to prune, e.g. the copula). */
export function checkpointEpochs(model: ModelKind, space: Space): number[] {
  const smallest = smallestEpochs(model, space);
  if (smallest === undefined) return [];
  return [...new Set(CHECKPOINT_SHARES.map((s) => Math.max(1, Math.round(smallest * s))))];
}

/**
 * The rule a study prunes with: Optuna's MedianPruner defaults (5 warm-up trials) plus one warm-up
 * checkpoint, i.e. Optuna's n_warmup_steps set to the second checkpoint. At a quarter of the smallest fit
 * the holdout quality is mostly noise: measured on credit_data (TVAE, 10 random trials), the first
 * checkpoint cut a trial that would have finished second best. From the second one on, a trial below the
 * median is stopped, which still saves at least half of the smallest fit.
 */
export function studyPruningRule(checkpoints: readonly number[]): MedianRule {
  return { warmupTrials: 5, warmupSteps: checkpoints.length > 1 ? checkpoints[1] : 0 };
}

/** A trial's curve (epoch -> holdout quality) from its record; empty when it recorded none. */
export function curveOf(record: Pick<TrialRecord, "intermediate">): Curve {
  return new Map((record.intermediate ?? []).map((p) => [p.epoch, p.quality]));
}

/**
 * The curves the median rule compares against: the study's trials that trained to the end (not pruned)
 * and recorded a curve. Infeasible ones count (a privacy floor judges the final sample, not how training
 * went); a failed fit has no curve.
 */
export function completedCurves(records: readonly TrialRecord[]): Curve[] {
  return records.filter((r) => !r.pruned && (r.intermediate?.length ?? 0) > 0).map(curveOf);
}
