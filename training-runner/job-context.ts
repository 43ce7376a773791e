import type { Worker } from "node:worker_threads";
import { z } from "zod";
import type { ThreadSetting } from "../cli/fit-replica.ts";
import { fileFormatSchema } from "../shared/data/formats.ts";
import type { Clock } from "../shared/platform/clock.ts";
import type { JobProgress } from "../shared/platform/job-progress.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { BlobStore } from "../shared/platform/storage.ts";
import { notRetryable } from "./job-errors.ts";
import type { ThrottleClock } from "./progress-throttle.ts";

/**
 * What the claim loop hands the executor with a job: the dataset row it read with the service role, a
 * Storage client acting as the service role, the cancel signal (fed by `cancel_requested`), the progress
 * writer (an UPDATE of the job row; the executor throttles it), and the runner's limits.
 */
export const datasetRowSchema = z.object({
  id: z.string().uuid(),
  owner_id: z.string().uuid(),
  storage_path: z.string().min(1),
  format: fileFormatSchema,
  column_metadata: z.unknown().optional(),
  row_count: z.number().int().nullable().optional(),
  profile: z.unknown().optional(),
});
export type DatasetRow = z.input<typeof datasetRowSchema>;

export interface JobLimits {
  /** Memory this job may use; a job estimated above it is refused (MEMORY_LIMIT) before any training. */
  memoryBytes: number;
  /** Wall-clock limit of the whole job (download to upload); past it the job fails with JOB_TIMEOUT. */
  timeoutMs?: number;
}

export interface ExecutionContext {
  /** `storage.asServiceRole(...)`: the runner reads any owner's dataset and writes into their folders. */
  storage: BlobStore;
  datasetRow: DatasetRow;
  signal: AbortSignal;
  reportProgress(progress: JobProgress): void | Promise<void>;
  limits: JobLimits;
  clock?: Clock;
  logger?: Logger;
  /** "worker" (default): the compute runs in a worker thread; "inline": on the calling thread. */
  compute?: "worker" | "inline";
  /** Progress writes at most this often (default 1000 ms), on this clock (tests inject one). */
  progressIntervalMs?: number;
  throttleClock?: ThrottleClock;
  backend?: "wasm" | "cpu";
  /** Training threads per fit (RUNNER_FIT_THREADS) and the cores one job may use; one thread when absent. */
  fitThreads?: FitThreads;
  /** A cancelled worker that does not stop within this long is terminated (default 10 s). */
  abortGraceMs?: number;
  onWorker?: (worker: Worker) => void;
}

/** What a job's fit may use: the setting, and the cores left to one job by the runner's concurrency. */
export interface FitThreads {
  setting: ThreadSetting;
  cores: number;
}

/** The runner reads a job's dataset only from its owner's folder, and only when the row is the owner's. */
export function assertInOwnersFolder(row: { owner_id: string; storage_path: string }, ownerId: string): void {
  if (row.owner_id !== ownerId || !row.storage_path.startsWith(`${ownerId}/`)) {
    throw notRetryable(
      "FORBIDDEN",
      "the dataset is not in the job owner's folder: the runner does not read it",
      {
        path: row.storage_path.slice(0, 200),
        expected_prefix: `${ownerId}/`,
      },
    );
  }
}
