/**
 * Node's training replicas for data-parallel fits (shared/synth/nn/data-parallel.ts): one worker thread
 * each, running cli/fit-replica-worker.ts, which builds the replica's tfjs backend and networks and then
 * serves its channel. A worker that fails to start rejects `ready`; one that dies later leaves the main
 * thread's wait to time out into an INTERNAL_ERROR (its stderr says why).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ParallelFit } from "../shared/synth/matrix-model.ts";
import type { ReplicaHandle, ReplicaInit, ReplicaSpawner } from "../shared/synth/nn/data-parallel.ts";
import { selectIntraOpThreads } from "./tf-wasm-threads.ts";

const BOOT = new URL("../bin/ts-worker.mjs", import.meta.url);
const ENTRY = new URL("./fit-replica-worker.ts", import.meta.url).href;

export const spawnNodeReplica: ReplicaSpawner = (init: ReplicaInit): ReplicaHandle => {
  const worker = new Worker(BOOT, { workerData: { entry: ENTRY, init } });
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    const exited = (code: number) => reject(new Error(`the replica's thread exited with code ${code}`));
    worker.once("error", fail);
    worker.once("exit", exited);
    worker.once("message", (message: unknown) => {
      worker.off("error", fail);
      worker.off("exit", exited);
      if (message === "ready") resolve();
      else reject(new Error(String((message as { error?: string }).error ?? message)));
    });
  });
  // Once it is ready nothing is awaited from it (the channel is waited on synchronously), so it need not
  // hold the process open; before that, `ready` is all that does.
  void ready.then(
    () => worker.unref(),
    () => undefined,
  );
  return {
    ready,
    close: async () => {
      await worker.terminate();
    },
  };
};

/** Most threads a setting takes: each holds a copy of the networks, and past the cores it only adds waiting. */
export const MAX_FIT_THREADS = 16;

/** A thread setting (`--threads`, RUNNER_FIT_THREADS): auto or a count. */
export type ThreadSetting = "auto" | number;

/**
 * The threads a fit uses: `auto` takes two of the `cores` it may use when it has them (the main thread and
 * one replica; more was not measured) for fits big enough to gain (below), a number is taken as given (1: no
 * replica).
 */
export function fitThreads(setting: ThreadSetting, cores = availableParallelism()): number {
  return setting === "auto" ? Math.max(1, Math.min(2, cores)) : setting;
}

/**
 * `auto` leaves fits below this many cells (epochs x rows per epoch x transformed width) on one thread:
 * a replica takes 1-3 s to start (tsx, tfjs, wasm), and below this a fit takes about 10 s (TVAE) to 35 s
 * (CTGAN) on one thread, so the start would eat most of what the second core wins.
 */
export const AUTO_MIN_CELLS = 10_000_000;

/**
 * ... and fits with fewer rows per epoch than this. Measured on this project's 2-core machine (bench/nn.ts,
 * variants side by side in one process, s/epoch):
 * - CTGAN, two data-parallel threads against the two intra-op threads it takes below this: CPS1988 (19 500
 *   rows per epoch) 2.17 against 2.49, but the 1 000-4 000-row tables 1.07-1.33x slower
 *   (bench/results/nn-fused-adam.json). Data-parallel CTGAN normalises each share's batch on its own (ghost
 *   batch norm), a different fit with the same quality at equal epochs (bench/results/noise-quality-kernels.json,
 *   attrition and credit_data, 30 epochs, 3 seeds: all-pairs 0.860 ± 0.008 against 0.861 ± 0.010, 0.826 ±
 *   0.024 against 0.825 ± 0.022).
 * - TVAE, two data-parallel threads against one, with the fused kernels (cli/wasm-adam.ts and
 *   cli/wasm-span-loss.ts): CPS1988 (19 709 rows) 0.640 against 0.733 (bench/results/nn-kernels.json); but,
 *   quiet machine, mlc_churn (3 500) 0.154 against 0.154, Chicago (3 989) 0.207 against 0.221, wa_churn
 *   (4 922) 0.176 against 0.164, and credit_data (2 828) and attrition (1 029) 1.3-1.5x slower.
 * A share's gradient costs much more than half the batch's: tfjs-wasm repacks every updated weight for
 * XNNPACK and dispatches every op from JavaScript, and each replica pays both again.
 */
export const AUTO_MIN_ROWS_PER_EPOCH = 10_000;

/**
 * `auto` gives a fit intra-op threads only from this many cells: the pool takes 0.3-0.5 s to start, and
 * two threads save about a tenth of attrition's 0.3 s CTGAN epoch (1 029 rows x 169 dimensions), so a fit
 * breaks even after about 13 such epochs, some 2.3 million cells.
 */
export const AUTO_MIN_INTRA_OP_CELLS = 2_500_000;

let intraOpFallbackNoted = false;

/** Intra-op threads for `auto` (cli/tf-wasm-threads.ts); a build that cannot start is said once, on stderr. */
export const nodeIntraOp = (threads: number): Promise<number> =>
  selectIntraOpThreads(threads, (reason) => {
    if (intraOpFallbackNoted) return;
    intraOpFallbackNoted = true;
    process.stderr.write(`note: training on one thread (the threaded wasm build did not start: ${reason})\n`);
  });

/**
 * The `parallel` fit option for a thread setting; undefined for one thread. `auto` also offers intra-op
 * threads, which a fit below the data-parallel thresholds may take instead (the model decides: CTGAN does,
 * TVAE does not); an explicit count is always data-parallel.
 */
export function nodeParallelFit(
  setting: ThreadSetting,
  cores = availableParallelism(),
): ParallelFit | undefined {
  const threads = fitThreads(setting, cores);
  if (threads < 2) return undefined;
  return {
    threads,
    spawn: spawnNodeReplica,
    ...(setting === "auto"
      ? {
          minCells: AUTO_MIN_CELLS,
          minRowsPerEpoch: AUTO_MIN_ROWS_PER_EPOCH,
          intraOp: nodeIntraOp,
          minIntraOpCells: AUTO_MIN_INTRA_OP_CELLS,
        }
      : {}),
  };
}
