import type { Clock } from "../shared/platform/clock.ts";
import type { Db } from "../shared/platform/db.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { StoragePort } from "../shared/platform/storage.ts";
import type { ClaimedJob, Json } from "./queue.ts";

/**
 * What the runner hands an executor for one claimed job. The executor does the work (download, fit,
 * sample, evaluate, upload) and answers the results for complete_job; the runner owns the lease, the
 * timeout and cancellation, and tells the executor to stop through `signal` (its reason says why).
 */
export interface ExecutionContext {
  db: Db;
  storage: StoragePort;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  /** Bytes of memory the runner may give this job; a job estimated above it is refused. */
  memoryMb: number;
  /** Writes progress to the row (the executor throttles to about once per second). */
  progress(progress: Record<string, Json>): Promise<void>;
}

export type JobExecutor = (job: ClaimedJob, ctx: ExecutionContext) => Promise<Record<string, Json>>;

/** Why the runner aborted a job: each ends differently (no write, cancel_job, fail_job, hand back). */
export type AbortReason = "lease_lost" | "canceled" | "timeout" | "shutdown";

export class RunnerAbort extends Error {
  constructor(readonly reason: AbortReason) {
    super(`job aborted: ${reason}`);
    this.name = "RunnerAbort";
  }
}
