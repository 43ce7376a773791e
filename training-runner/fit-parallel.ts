import { nodeParallelFit } from "../cli/fit-replica.ts";
import type { FitEstimate } from "../shared/synth/estimate.ts";
import type { ParallelFit } from "../shared/synth/matrix-model.ts";
import type { FitThreads } from "./job-context.ts";

/**
 * What one data-parallel replica adds to a job's peak memory: a worker thread with its own V8 isolate, the
 * engine's modules, tfjs, and a wasm heap holding a copy of the networks and Adam's moments. Measured as
 * peak RSS of `synth fit` on CPS1988 (19 709 rows x 40 dimensions, 3 epochs), --threads 1 against 2: CTGAN
 * 393 against 525 MB, TVAE 324 against 467 MB; rounded up for wider networks' weights.
 */
export const REPLICA_BYTES = 160 * 2 ** 20;

/**
 * The fit's `parallel` control for the runner's thread setting; one thread when there is none, and also
 * when the replicas would take a job that fits on one thread past the memory it was given: a slower fit
 * beats one refused or killed (memory-estimate.ts has already refused what one thread cannot hold).
 */
export function parallelFor(
  threads: FitThreads | undefined,
  estimate: FitEstimate | null,
  memoryBytes: number,
): { parallel?: ParallelFit } {
  const parallel = threads === undefined ? undefined : nodeParallelFit(threads.setting, threads.cores);
  if (parallel === undefined) return {};
  if (estimate !== null && estimate.peakMemoryBytes + REPLICA_BYTES * (parallel.threads - 1) > memoryBytes)
    return {};
  return { parallel };
}
