import type { Worker } from "node:worker_threads";
import { synthError, type SynthError } from "../shared/errors.ts";
import type {
  ComputeProgress,
  ComputeTask,
  DatasetOutput,
  DatasetTask,
  GenerationOutput,
  GenerationTask,
  TrialOutput,
  TrialTask,
} from "./compute.ts";
import { notRetryable } from "./job-errors.ts";
import { takeWorker } from "./warm-workers.ts";
import { transferablesOf, type FromWorker, type ToWorker, type WorkerError } from "./worker-messages.ts";

/**
 * Runs one job's compute (load, fit, sample, evaluate) in its own worker thread, so the process that
 * claims jobs, renews leases and serves /health keeps a free event loop while a model trains. Cancel: the
 * parent's AbortSignal becomes an abort message, the worker aborts the fit through the engine's signal
 * (within one epoch) and answers ABORTED; a worker that does not stop within `abortGraceMs` (a long
 * evaluation is synchronous) is terminated. Timeout: the worker is terminated, whatever it is doing, and
 * the job fails with JOB_TIMEOUT. A worker that runs out of heap fails the job with MEMORY_LIMIT.
 */
export interface JobThreadOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ComputeProgress) => void;
  /** Wall-clock limit of the compute; the worker is terminated when it passes. */
  timeoutMs?: number;
  abortGraceMs?: number;
  /** Caps the worker's V8 heap (wasm memory is outside it; memory-estimate.ts refuses big jobs first). */
  memoryBytes?: number;
  /** Sees the worker once started (tests watch it exit). */
  onStart?: (worker: Worker) => void;
}

const DEFAULT_ABORT_GRACE_MS = 10_000;

export function fromWorkerError(error: WorkerError): SynthError {
  if (error.synth) return synthError(error.code, error.message, error.details);
  const cause = new Error(error.message);
  if (error.stack !== undefined) cause.stack = error.stack;
  return synthError(
    "INTERNAL_ERROR",
    `the job failed unexpectedly: ${error.message}`,
    { retryable: true },
    cause,
  );
}

export function runInWorker(task: GenerationTask, options?: JobThreadOptions): Promise<GenerationOutput>;
export function runInWorker(task: DatasetTask, options?: JobThreadOptions): Promise<DatasetOutput>;
export function runInWorker(task: TrialTask, options?: JobThreadOptions): Promise<TrialOutput>;
export function runInWorker(
  task: ComputeTask,
  options: JobThreadOptions = {},
): Promise<GenerationOutput | DatasetOutput | TrialOutput> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(notRetryable("ABORTED", "the job was cancelled before it started"));
      return;
    }
    const worker = takeWorker(options.memoryBytes);
    let settled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (outcome: () => void, terminate: boolean) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener("abort", onAbort);
      if (terminate) void worker.terminate();
      outcome();
    };
    const fail = (error: SynthError, terminate = true) => finish(() => reject(error), terminate);

    const onAbort = () => {
      worker.postMessage({ type: "abort" } satisfies ToWorker);
      timers.push(
        setTimeout(
          () =>
            fail(
              notRetryable(
                "ABORTED",
                "the job was cancelled (its worker did not stop in time and was terminated)",
              ),
            ),
          options.abortGraceMs ?? DEFAULT_ABORT_GRACE_MS,
        ),
      );
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timers.push(
        setTimeout(
          () =>
            fail(
              notRetryable(
                "JOB_TIMEOUT",
                `the job ran longer than its ${Math.round(options.timeoutMs! / 1000)} s limit and was stopped`,
                {
                  timeout_ms: options.timeoutMs,
                },
              ),
            ),
          Math.max(0, options.timeoutMs),
        ),
      );
    }

    worker.on("message", (message: FromWorker) => {
      if (settled) return;
      if (message.type === "progress") options.onProgress?.(message.progress);
      else if (message.type === "done")
        finish(() => resolve(message.output as GenerationOutput | DatasetOutput | TrialOutput), true);
      else fail(fromWorkerError(message.error));
    });
    worker.on("error", (error: Error & { code?: string }) => {
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") {
        fail(
          notRetryable("MEMORY_LIMIT", "the job ran out of memory in its worker thread", {
            limit_bytes: options.memoryBytes,
          }),
        );
      } else {
        fail(
          synthError(
            "INTERNAL_ERROR",
            `the job's worker thread failed: ${error.message}`,
            { retryable: true },
            error,
          ),
        );
      }
    });
    worker.on("exit", (code) => {
      fail(
        synthError("INTERNAL_ERROR", `the job's worker thread exited (code ${code}) before answering`, {
          retryable: true,
        }),
        false,
      );
    });
    options.onStart?.(worker);
    worker.postMessage({ type: "run", task } satisfies ToWorker, transferablesOf(task));
  });
}
