/**
 * The epoch loop both neural models share: progress callback (mean losses of the epoch, elapsed, ETA),
 * AbortSignal checked before every step (so it stops within one epoch, rejecting with ABORTED), and an
 * optional time budget that ends training early but keeps the model.
 */
import { synthError } from "../../errors.ts";
import type { EpochProgress } from "../matrix-model.ts";

export interface EpochLoopOptions {
  epochs: number;
  stepsPerEpoch: number;
  /** One optimisation step; returns this step's named losses. */
  step: (epoch: number, step: number) => Record<string, number>;
  /** Called before each epoch (e.g. to reshuffle). */
  beginEpoch?: (epoch: number) => void;
  onEpoch?: (progress: EpochProgress) => void | Promise<void>;
  signal?: AbortSignal;
  timeBudgetMs?: number;
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number;
}

export interface EpochLoopResult {
  epochsCompleted: number;
  stoppedByBudget: boolean;
}

/** Lets timers and abort() calls from other tasks run between steps (a resolved promise would not). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function throwIfAborted(signal: AbortSignal | undefined, epoch: number): void {
  if (signal?.aborted) throw synthError("ABORTED", "Training was stopped before it finished", { epoch });
}

export async function runEpochs(options: EpochLoopOptions): Promise<EpochLoopResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastYield = started;
  const overBudget = (): boolean =>
    options.timeBudgetMs !== undefined && now() - started >= options.timeBudgetMs;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    options.beginEpoch?.(epoch);
    const sums: Record<string, number> = {};
    let steps = 0;
    for (let s = 0; s < options.stepsPerEpoch; s++) {
      if (now() - lastYield > 50) {
        await yieldToEventLoop();
        lastYield = now();
      }
      throwIfAborted(options.signal, epoch);
      for (const [name, value] of Object.entries(options.step(epoch, s)))
        sums[name] = (sums[name] ?? 0) + value;
      steps += 1;
      if (overBudget()) break;
    }
    const elapsedMs = now() - started;
    const losses = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / steps]));
    const done = epoch + 1;
    const stop = overBudget();
    await options.onEpoch?.({
      epoch: done,
      epochs: options.epochs,
      losses,
      elapsedMs,
      etaMs: stop ? 0 : (elapsedMs / done) * (options.epochs - done),
    });
    await yieldToEventLoop();
    lastYield = now();
    throwIfAborted(options.signal, done);
    if (stop) return { epochsCompleted: done, stoppedByBudget: done < options.epochs };
  }
  return { epochsCompleted: options.epochs, stoppedByBudget: false };
}
