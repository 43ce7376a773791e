import { Worker } from "node:worker_threads";

/**
 * Job worker threads booted ahead of their job. A fresh worker spends seconds before it computes anything:
 * tsx transpiles and Node links the engine's module graph (tfjs, the readers, the metrics) in every new
 * thread. A runner that keeps one booted worker idle hands it the next job at once and boots the
 * replacement when that job is done, so a small job (validating an upload, a copula) no longer waits for it.
 * Each job still gets a worker of its own, used once and then terminated: no state crosses jobs.
 *
 * An idle worker is unref'd (it never keeps the process alive) and is dropped if it fails or exits before it
 * is taken; then the next job boots its own, as without warm workers. Runners in one process share the pool
 * (one idle worker per memory limit), counted by `acquire`/`release` so one runner's stop does not cool the
 * others'.
 */
const BOOT = new URL("../bin/ts-worker.mjs", import.meta.url);
const ENTRY = new URL("./compute-worker.ts", import.meta.url).href;
const MB = 2 ** 20;

interface IdleWorker {
  worker: Worker;
  memoryBytes: number | undefined;
  detach: () => void;
}

const idle: IdleWorker[] = [];
const holders = new Map<number | undefined, number>();

/** A new worker thread with the job's heap cap (wasm memory is outside it). */
export function bootWorker(memoryBytes: number | undefined): Worker {
  return new Worker(BOOT, {
    workerData: { entry: ENTRY },
    ...(memoryBytes !== undefined
      ? { resourceLimits: { maxOldGenerationSizeMb: Math.max(256, Math.floor(memoryBytes / MB)) } }
      : {}),
  });
}

function refill(memoryBytes: number | undefined): void {
  if (!holders.has(memoryBytes) || idle.some((i) => i.memoryBytes === memoryBytes)) return;
  const worker = bootWorker(memoryBytes);
  const entry: IdleWorker = {
    worker,
    memoryBytes,
    detach: () => {
      worker.off("error", drop);
      worker.off("exit", drop);
    },
  };
  // A worker that dies while idle is forgotten (its error is not anyone's job's); it is not rebooted here,
  // so a worker that cannot boot does not loop.
  function drop() {
    entry.detach();
    const at = idle.indexOf(entry);
    if (at >= 0) idle.splice(at, 1);
  }
  worker.on("error", drop);
  worker.on("exit", drop);
  worker.unref();
  idle.push(entry);
}

/**
 * A worker for one job: a booted one when there is one, else a new one. Its replacement boots when the job's
 * worker exits, not while the job runs: a boot is seconds of CPU, and taken from a running job (or from the
 * worker the next job is still booting) it slows both.
 */
export function takeWorker(memoryBytes: number | undefined): Worker {
  const at = idle.findIndex((i) => i.memoryBytes === memoryBytes);
  let worker: Worker;
  if (at < 0) worker = bootWorker(memoryBytes);
  else {
    const [entry] = idle.splice(at, 1);
    entry.detach();
    entry.worker.ref();
    worker = entry.worker;
  }
  worker.once("exit", () => refill(memoryBytes));
  return worker;
}

/** Keeps one booted worker ready for jobs with this heap cap, until as many `release`s. */
export function acquireWarmWorker(memoryBytes: number | undefined): void {
  holders.set(memoryBytes, (holders.get(memoryBytes) ?? 0) + 1);
  refill(memoryBytes);
}

export async function releaseWarmWorker(memoryBytes: number | undefined): Promise<void> {
  const left = (holders.get(memoryBytes) ?? 0) - 1;
  if (left > 0) {
    holders.set(memoryBytes, left);
    return;
  }
  holders.delete(memoryBytes);
  const leaving = idle.filter((i) => i.memoryBytes === memoryBytes);
  for (const entry of leaving) {
    entry.detach();
    idle.splice(idle.indexOf(entry), 1);
  }
  await Promise.all(leaving.map((e) => e.worker.terminate()));
}

/** What a runner holds while it runs (RunnerDeps.workers). */
export const warmWorkerPool = { acquire: acquireWarmWorker, release: releaseWarmWorker };

/** The idle workers now (for tests). */
export function idleWorkers(): readonly Worker[] {
  return idle.map((i) => i.worker);
}
