/**
 * The median stopping rule (Golovin et al. 2017, Google Vizier; Optuna's MedianPruner with its defaults
 * n_startup_trials = 5, n_warmup_steps = 0): a running trial is stopped at step s when its intermediate value
 * there is worse than the median of the completed trials' values at the same step. Nothing is pruned until
 * `warmupTrials` trials have completed, nor before step `warmupSteps`.
 */
export interface MedianRule {
  warmupTrials?: number;
  warmupSteps?: number;
  /** Quality is maximised, so higher is better by default. */
  direction?: "maximize" | "minimize";
}

/** A completed trial's intermediate values by step (e.g. epoch -> holdout quality). */
export type Curve = ReadonlyMap<number, number>;

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median of the completed trials' values at `step`, and how many there are (undefined: none). */
export function medianAtStep(
  step: number,
  completed: readonly Curve[],
): { median: number; count: number } | undefined {
  const atStep = completed
    .map((c) => c.get(step))
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  return atStep.length === 0 ? undefined : { median: median(atStep), count: atStep.length };
}

export function shouldPrune(
  value: number,
  step: number,
  completed: readonly Curve[],
  rule: MedianRule = {},
): boolean {
  const warmupTrials = rule.warmupTrials ?? 5;
  if (completed.length < warmupTrials || step < (rule.warmupSteps ?? 0)) return false;
  const at = medianAtStep(step, completed);
  if (at === undefined || at.count < Math.max(1, warmupTrials)) return false;
  if (!Number.isFinite(value)) return true;
  return rule.direction === "minimize" ? value > at.median : value < at.median;
}
