import { readFile } from "node:fs/promises";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { runInWorker } from "./job-thread.ts";
import { acquireWarmWorker, idleWorkers, releaseWarmWorker, takeWorker } from "./warm-workers.ts";

const MB = 2 ** 20;
const penguins = () =>
  readFile(new URL("../../shared/datasets/penguins.csv", import.meta.url)).then((b) => new Uint8Array(b));
const exited = (worker: Worker) => new Promise<number>((resolve) => worker.once("exit", resolve));

describe("warm job workers", () => {
  afterEach(async () => {
    // Every test releases what it acquired; a leftover would keep booting workers for the next.
    expect(idleWorkers().length).toBe(0);
  });

  it("hands the booted worker to the next job, boots its replacement when that job's worker exits", async () => {
    acquireWarmWorker(512 * MB);
    const [warm] = idleWorkers();
    const first = takeWorker(512 * MB);
    expect(first).toBe(warm);
    // Nothing boots while the job runs; the replacement starts once its worker is gone.
    expect(idleWorkers()).toEqual([]);
    await first.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idleWorkers()).toHaveLength(1);
    expect(idleWorkers()[0]).not.toBe(first);

    // A job through runInWorker gets the warm worker (onStart sees it) and its result as ever.
    const next = idleWorkers()[0];
    let used: Worker | undefined;
    const result = await runInWorker(
      { kind: "dataset", bytes: await penguins(), fileName: "penguins.csv", format: "csv" },
      { memoryBytes: 512 * MB, onStart: (w) => (used = w) },
    );
    expect(result.row_count).toBe(344);
    expect(used).toBe(next);
    await releaseWarmWorker(512 * MB);
    expect(idleWorkers()).toEqual([]);
  }, 60_000);

  it("keeps one idle worker per heap cap and boots a new one for another cap", async () => {
    acquireWarmWorker(512 * MB);
    acquireWarmWorker(512 * MB);
    expect(idleWorkers()).toHaveLength(1);
    const other = takeWorker(256 * MB);
    expect(idleWorkers()).toHaveLength(1);
    await other.terminate();
    // No one holds the 256 MB pool: that worker's exit boots nothing.
    await new Promise((resolve) => setImmediate(resolve));
    expect(idleWorkers()).toHaveLength(1);
    // Two runners hold the pool: the first release keeps it warm, the second empties it.
    await releaseWarmWorker(512 * MB);
    expect(idleWorkers()).toHaveLength(1);
    await releaseWarmWorker(512 * MB);
    expect(idleWorkers()).toEqual([]);
    // Without a holder, a job's worker is booted for it and none is kept, even after it exits.
    const cold = takeWorker(512 * MB);
    await cold.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idleWorkers()).toEqual([]);
  }, 60_000);

  it("forgets an idle worker that dies, and the next job boots its own", async () => {
    acquireWarmWorker(512 * MB);
    const [idle] = idleWorkers();
    const gone = exited(idle);
    await idle.terminate();
    await gone;
    // Dropped, not handed to a job, and not rebooted on its own (a worker that cannot boot must not loop).
    expect(idleWorkers()).toEqual([]);
    const next = takeWorker(512 * MB);
    expect(next).not.toBe(idle);
    await next.terminate();
    await new Promise((resolve) => setImmediate(resolve));
    // That job's worker exited: the pool is warm again.
    expect(idleWorkers()).toHaveLength(1);
    await releaseWarmWorker(512 * MB);
  }, 60_000);
});
