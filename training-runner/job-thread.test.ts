import { readFile } from "node:fs/promises";
import type { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { isSynthError } from "../shared/errors.ts";
import { runInWorker } from "./job-thread.ts";

const penguins = () => readFile("/work/shared/datasets/penguins.csv").then((b) => new Uint8Array(b));

const exited = (worker: Worker) =>
  new Promise<void>((resolve) => {
    if (worker.threadId === -1) resolve();
    else worker.once("exit", () => resolve());
  });

describe("runInWorker", () => {
  it("moves the input bytes to the worker instead of copying them, and answers the result", async () => {
    const bytes = await penguins();
    const size = bytes.byteLength;
    const result = await runInWorker({ kind: "dataset", bytes, fileName: "penguins.csv", format: "csv" });
    expect(result.size_bytes).toBe(size);
    expect(result.row_count).toBe(344);
    // Transferred: the parent's view is detached.
    expect(bytes.byteLength).toBe(0);
  });

  it("terminates a worker that does not stop within the grace period after a cancel", async () => {
    const controller = new AbortController();
    let worker: Worker | undefined;
    const run = runInWorker(
      { kind: "dataset", bytes: await penguins(), fileName: "penguins.csv", format: "csv" },
      {
        signal: controller.signal,
        abortGraceMs: 20,
        onStart: (w) => {
          worker = w;
          // Validation never looks at the signal: only the grace timer can end it this early.
          controller.abort();
        },
      },
    );
    const error = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSynthError(error, "ABORTED")).toBe(true);
    expect(isSynthError(error) && error.message).toMatch(/terminated/);
    expect(isSynthError(error) && error.details.retryable).toBe(false);
    await exited(worker!);
    expect(worker!.threadId).toBe(-1);
  });

  it("refuses to start when the job is already cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    let started = false;
    const error = await runInWorker(
      { kind: "dataset", bytes: new Uint8Array(1), fileName: "x.csv", format: "csv" },
      { signal: controller.signal, onStart: () => (started = true) },
    ).catch((e: unknown) => e);
    expect(isSynthError(error, "ABORTED")).toBe(true);
    expect(started).toBe(false);
  });
});
