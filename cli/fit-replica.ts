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
 * variants side by side in one process, s/epoch, bench/results/nn-threads-gemm.json, load 1.7-3.5, 3 rounds):
 * with every matmul on our GEMM (cli/wasm-matmul.ts) a one-thread step is 20-35 % shorter than before, so
 * a second core wins back less. CPS1988 (19 709 rows per epoch): CTGAN two data-parallel threads
 * 1.23-1.43 against one 1.37-1.52, TVAE 0.39-0.47 against 0.44-0.46; on the 1 000-5 000-row tables two
 * threads tie or lose (wa_churn CTGAN 0.66-0.76 against 0.51-0.64). Data-parallel CTGAN normalises each
 * share's batch on its own (ghost batch norm), a different fit with the same quality at equal epochs
 * (bench/results/noise-quality-kernels.json, attrition and credit_data, 30 epochs, 3 seeds: all-pairs
 * 0.860 ± 0.008 against 0.861 ± 0.010, 0.826 ± 0.024 against 0.825 ± 0.022).
 *
 * `auto` no longer offers intra-op threads (cli/tf-wasm-threads.ts, XNNPACK's pool): their matmuls are
 * XNNPACK's, which on two threads now lose to our one-thread GEMM on most tables (same run: wa_churn CTGAN
 * 0.89-1.10 against 0.51-0.64, mlc_churn and Chicago within 10 % either way). They stay a fit option
 * (`ParallelFit.intraOp`) that the bench's `intra-op` variant measures.
 */
export const AUTO_MIN_ROWS_PER_EPOCH = 10_000;

/** The `parallel` fit option for a thread setting (data-parallel threads); undefined for one thread. */
export function nodeParallelFit(
  setting: ThreadSetting,
  cores = availableParallelism(),
): ParallelFit | undefined {
  const threads = fitThreads(setting, cores);
  if (threads < 2) return undefined;
  return {
    threads,
    spawn: spawnNodeReplica,
    ...(setting === "auto" ? { minCells: AUTO_MIN_CELLS, minRowsPerEpoch: AUTO_MIN_ROWS_PER_EPOCH } : {}),
  };
}
