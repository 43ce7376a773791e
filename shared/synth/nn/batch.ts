import { synthError } from "../../errors.ts";

/** CTGANSynthesizer and TVAESynthesizer default batch_size in the reference. */
export const REFERENCE_BATCH_SIZE = 500;

/**
 * Steps an epoch of TVAE takes at least by default. The reference's 500 fits its benchmark tables (tens of
 * thousands of rows, 60+ steps per epoch); on the 240-row penguins split every epoch was one step, so 30
 * epochs were 30 steps and TVAE scored worse at 30 epochs than at 10. Measured on that split (2 seeds,
 * all-pairs quality at 30 / 100 epochs): 1 step 0.57 / 0.74, 2 steps 0.61 / 0.86, 4 steps 0.69 / 0.86,
 * 8 steps 0.79 / 0.86. CTGAN gained nothing from smaller batches there (batch 240: 0.74 / 0.77; 120: 0.73 /
 * 0.72; 60: 0.74 / 0.76; 20: 0.73 at 30 epochs) and pays a fixed cost per step, so it keeps one step.
 */
export const TVAE_MIN_STEPS_PER_EPOCH = 10;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export interface BatchRule {
  /** The model, for messages. */
  model: string;
  /** Default batches come in whole multiples of each of these (CTGAN: pac, and 2 as the reference asserts). */
  multiples?: readonly number[];
  /** A default batch is at most rows / minSteps (TVAE 10, CTGAN 1). */
  minSteps: number;
}

/**
 * The batch size a fit uses: the one asked for, or the reference's 500 but at most rows / minSteps, rounded
 * down to a whole multiple and never below one. An explicit batch larger than the training rows is refused
 * (typed INVALID_MODEL_CONFIG): TVAE would run a smaller one than asked, CTGAN would draw every row several
 * times per step; running something other than what was asked, silently, is worse than saying so.
 */
export function resolveBatchSize(requested: number | undefined, rows: number, rule: BatchRule): number {
  const multiple = (rule.multiples ?? [1]).reduce((a, b) => (a * b) / gcd(a, b), 1);
  const fallback = defaultBatchSize(rows, multiple, rule.minSteps);
  if (requested === undefined) return fallback;
  if (requested > rows) {
    const largest = rows - (rows % multiple);
    throw synthError(
      "INVALID_MODEL_CONFIG",
      `batch_size (${requested}) is larger than the ${rows} training rows: leave it unset for the default ` +
        `(${fallback} here)${largest >= multiple ? ` or choose at most ${largest}` : ""}`,
      { model: rule.model, batch_size: requested, rows },
    );
  }
  return requested;
}

function defaultBatchSize(rows: number, multiple: number, minSteps: number): number {
  const target = Math.min(REFERENCE_BATCH_SIZE, Math.floor(rows / minSteps));
  return Math.max(multiple, target - (target % multiple));
}
