import { isSynthError } from "../shared/errors.ts";
import type { Clock } from "../shared/platform/clock.ts";
import type { Db } from "../shared/platform/db.ts";
import type { Logger } from "../shared/platform/logger.ts";
import type { StoragePort } from "../shared/platform/storage.ts";
import type { JobKind, RunnerConfig } from "./config.ts";
import { RunnerAbort, type AbortReason, type ExecutionContext, type JobExecutor } from "./execution.ts";
import { asJobError } from "./job-errors.ts";
import { createRunnerMetrics, type RunnerMetrics } from "./metrics.ts";
import type { ListenFn, Listener } from "../shared/platform/notifications.ts";
import { pgListen } from "./pg-db.ts";
import { createQueue, type ClaimedJob, type Json, type Queue } from "./queue.ts";
import type { StudyHooks } from "./studies.ts";

export interface RunnerDeps {
  db: Db;
  storage: StoragePort;
  logger: Logger;
  clock: Clock;
  /** One executor per job kind; a claimed job of a kind without one fails (not retryable). */
  execute?: Partial<Record<JobKind, JobExecutor>>;
  queue?: Queue;
  /** Wake-ups on the synth_jobs channel; by default a LISTEN connection to config.databaseUrl. */
  listen?: ListenFn;
  version?: string;
  random?: () => number;
  /** Optimisation studies: proposals after each trial and a sweep every poll (training-runner/studies.ts). */
  studies?: StudyHooks;
  /** Job worker threads kept booted while the runner runs (warm-workers.ts warmWorkerPool). */
  workers?: {
    acquire(memoryBytes: number): void;
    release(memoryBytes: number): Promise<void>;
  };
}

export type WakeSource = "notify" | "webhook" | "listen" | "manual";

export interface RunnerStatus {
  runnerId: string;
  runningJobs: number;
  jobs: { kind: JobKind; jobId: string; attempt: number }[];
  stopping: boolean;
  listening: boolean;
}

export interface Runner {
  readonly metrics: RunnerMetrics;
  start(): Promise<void>;
  stop(options?: { graceMs?: number }): Promise<void>;
  wake(source: WakeSource): void;
  status(): RunnerStatus;
  /** Whether the database answers within timeoutMs. */
  dbReachable(timeoutMs?: number): Promise<boolean>;
}

interface RunningJob {
  job: ClaimedJob;
  controller: AbortController;
  done: Promise<void>;
  lastEpoch: { epoch: number; atMs: number; rate: number } | null;
}

/** How long a job may ignore its AbortSignal before the runner writes its outcome without it. */
const ABORT_PATIENCE_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The claim loop. It fills up to `concurrency` slots: claim, execute, complete or fail, with the lease
 * renewed every third of its length. The queue row is the truth: LISTEN, the webhook and the poll only
 * decide when to ask again, and a database error only delays the next question (the loop never dies).
 */
export function createRunner(config: RunnerConfig, deps: RunnerDeps): Runner {
  const { clock } = deps;
  const logger = deps.logger.child({ runner_id: config.runnerId });
  const queue = deps.queue ?? createQueue(deps.db, config.runnerId);
  const metrics = createRunnerMetrics(config.runnerId);
  const executors = deps.execute ?? {};
  const random = deps.random ?? Math.random;
  const version = deps.version ?? "0.1.0";
  const running = new Map<string, RunningJob>();
  const listenAppName = `synth-runner-listen:${config.runnerId}`.slice(0, 63);
  // Each job's share of the runner's memory: its worker's heap cap, so also the warm worker's.
  const claimMemoryMb = Math.floor(config.memoryMb / config.concurrency);
  const claimMemoryBytes = claimMemoryMb * 2 ** 20;
  let holdingWorkers = false;

  let stopping = false;
  let loopDone: Promise<void> | null = null;
  let wakePending = false;
  let wakeNow: (() => void) | null = null;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  let listener: Listener | null = null;
  let lastReclaimMs = -Infinity;

  const pollMs = () => config.pollSeconds * 1000 * (0.8 + 0.4 * random());

  function wake(source: WakeSource): void {
    metrics.wakeups.inc({ source });
    signalLoop();
  }

  function signalLoop(): void {
    wakePending = true;
    wakeNow?.();
  }

  async function idle(ms: number): Promise<void> {
    if (wakePending) {
      wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeNow = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wakeNow = null;
    wakePending = false;
  }

  async function loop(): Promise<void> {
    let backoffMs = 0;
    while (!stopping) {
      try {
        if (clock.monotonicMs() - lastReclaimMs >= config.pollSeconds * 1000) {
          lastReclaimMs = clock.monotonicMs();
          const reclaimed = await queue.reclaimExpired();
          if (reclaimed > 0) logger.log("info", "reclaimed expired leases", { reclaimed });
          await deps.studies?.sweep();
        }
        while (!stopping && running.size < config.concurrency) {
          const claimStartMs = clock.monotonicMs();
          const jobs = await queue.claim(config.kinds, config.leaseSeconds);
          if (jobs.length === 0) break;
          for (const job of jobs) startJob(job, claimStartMs);
        }
        backoffMs = 0;
      } catch (error) {
        metrics.dbErrors.inc();
        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, backoffMs * 2));
        logger.log("warn", "claim loop: database error, backing off", {
          error: describe(error),
          backoff_ms: backoffMs,
        });
        await idleUnlessStopping(backoffMs * (0.8 + 0.4 * random()));
        continue;
      }
      await idleUnlessStopping(pollMs());
    }
  }

  async function idleUnlessStopping(ms: number): Promise<void> {
    if (!stopping) await idle(ms);
  }

  function startJob(job: ClaimedJob, claimStartMs: number): void {
    const claimedAt = clock.now();
    metrics.jobsClaimed.inc({ kind: job.kind });
    const entry: RunningJob = {
      job,
      controller: new AbortController(),
      done: Promise.resolve(),
      lastEpoch: null,
    };
    running.set(job.job_id, entry);
    metrics.runningJobs.set(running.size);
    entry.done = runJob(entry, claimStartMs, claimedAt)
      .catch((error: unknown) => {
        logger.log("error", "job handling failed", { job_id: job.job_id, error: describe(error) });
      })
      .finally(() => {
        running.delete(job.job_id);
        metrics.runningJobs.set(running.size);
        updateEpochRate();
        signalLoop();
      });
  }

  function updateEpochRate(): void {
    let total = 0;
    for (const r of running.values()) total += r.lastEpoch?.rate ?? 0;
    metrics.epochsPerSecond.set(total);
  }

  async function runJob(entry: RunningJob, claimStartMs: number, claimedAt: Date): Promise<void> {
    const { job, controller } = entry;
    const log = logger.child({ job_id: job.job_id, kind: job.kind, attempt: job.attempt });
    // Set once the executor has answered: a late progress write or renewal then changes nothing.
    let settled = false;
    const abort = (reason: AbortReason) => {
      if (controller.signal.aborted || settled) return;
      log.log("info", "aborting job", { reason });
      controller.abort(new RunnerAbort(reason));
    };
    const abortReason = (): AbortReason | null =>
      controller.signal.aborted ? (controller.signal.reason as RunnerAbort).reason : null;

    queue
      .readyAt(job)
      .then((readyAt) => {
        if (readyAt !== null) {
          metrics.queueWaitSeconds.observe(
            { kind: job.kind },
            Math.max(0, (claimedAt.getTime() - readyAt.getTime()) / 1000),
          );
        }
      })
      .catch(() => {});

    // The lease as this runner knows it: a renewal that cannot reach the database past this instant means
    // another runner may already hold the job.
    let leaseDeadlineMs = job.locked_until.getTime();
    const renew = async () => {
      try {
        const renewed = await queue.renew(job, config.leaseSeconds);
        if (renewed === null) {
          metrics.leaseRenewFailures.inc();
          abort("lease_lost");
          return;
        }
        leaseDeadlineMs = renewed.lockedUntil.getTime();
        if (renewed.cancelRequested) abort("canceled");
      } catch (error) {
        metrics.leaseRenewFailures.inc();
        log.log("warn", "lease renewal failed", { error: describe(error) });
        if (clock.now().getTime() >= leaseDeadlineMs) abort("lease_lost");
      }
    };
    const renewTimer = setInterval(() => void renew(), (config.leaseSeconds * 1000) / 3);
    const timeoutTimer = setTimeout(() => abort("timeout"), config.jobTimeoutSeconds * 1000);
    const startedMs = clock.monotonicMs();

    const ctx: ExecutionContext = {
      db: deps.db,
      storage: deps.storage,
      logger: log,
      clock,
      signal: controller.signal,
      memoryMb: claimMemoryMb,
      progress: async (progress) => {
        if (controller.signal.aborted || settled) return;
        noteEpoch(entry, progress);
        try {
          const answer = await queue.progress(job, progress);
          if (answer === null) abort("lease_lost");
          else if (answer.cancelRequested) abort("canceled");
        } catch (error) {
          log.log("warn", "progress write failed", { error: describe(error) });
        }
      },
    };

    let outcome = "failed";
    try {
      const executor = executors[job.kind];
      metrics.claimToStartSeconds.observe((clock.monotonicMs() - claimStartMs) / 1000);
      log.log("info", "job started", { max_attempts: job.max_attempts });
      let results: Record<string, Json> | null = null;
      let failure: unknown = null;
      if (executor === undefined) {
        failure = new Error(`this runner has no executor for ${job.kind} jobs`);
      } else {
        try {
          results = await untilAbortedTooLong(executor(job, ctx), controller.signal);
        } catch (error) {
          failure = error;
        }
      }
      settled = true;
      const reason = abortReason();
      if (reason !== null) {
        outcome = await finishAborted(job, reason, log, () => leaseDeadlineMs);
      } else if (failure !== null || results === null) {
        const retryable = executor !== undefined && isRetryable(failure);
        const status = await persist(
          () => queue.fail(job, errorJson(failure), retryable),
          () => leaseDeadlineMs,
          log,
        );
        metrics.jobsFailed.inc({ kind: job.kind, retryable: String(retryable) });
        outcome = retryable ? "retry" : "failed";
        log.log(retryable ? "warn" : "error", "job failed", {
          error: errorJson(failure),
          retryable,
          status,
        });
        if (status === null) metrics.jobsLeaseLost.inc({ kind: job.kind });
      } else {
        const ok = await persist(
          () => queue.complete(job, results),
          () => leaseDeadlineMs,
          log,
        );
        if (ok) {
          outcome = "succeeded";
          metrics.jobsSucceeded.inc({ kind: job.kind });
          log.log("info", "job succeeded", { run_ms: Math.round(clock.monotonicMs() - startedMs) });
        } else {
          outcome = "lease_lost";
          metrics.jobsLeaseLost.inc({ kind: job.kind });
          log.log("warn", "complete_job refused: the lease was lost, the result is not recorded");
        }
      }
    } finally {
      clearInterval(renewTimer);
      clearTimeout(timeoutTimer);
      metrics.runSeconds.observe({ kind: job.kind, outcome }, (clock.monotonicMs() - startedMs) / 1000);
    }
    // Only after the outcome is written: the proposer then sees this trial finished.
    await deps.studies?.afterJob(job);
  }

  async function finishAborted(
    job: ClaimedJob,
    reason: AbortReason,
    log: Logger,
    deadline: () => number,
  ): Promise<string> {
    switch (reason) {
      case "lease_lost":
        metrics.jobsLeaseLost.inc({ kind: job.kind });
        log.log("warn", "lease lost: the job is abandoned and nothing is written");
        return "lease_lost";
      case "canceled": {
        const ok = await persist(() => queue.cancel(job), deadline, log);
        metrics.jobsCanceled.inc({ kind: job.kind });
        log.log("info", "job canceled", { recorded: ok });
        return "canceled";
      }
      case "timeout": {
        const error = {
          code: "ABORTED",
          message: `the job exceeded the runner's wall-clock timeout of ${config.jobTimeoutSeconds} s`,
          details: { reason: "timeout", timeout_seconds: config.jobTimeoutSeconds },
        };
        const status = await persist(() => queue.fail(job, error, false), deadline, log);
        metrics.jobsFailed.inc({ kind: job.kind, retryable: "false" });
        log.log("error", "job timed out", { status });
        return "timeout";
      }
      case "shutdown": {
        const error = {
          code: "ABORTED",
          message: "the runner shut down before the job finished; it was handed back to the queue",
          details: { reason: "shutdown", runner_id: config.runnerId },
        };
        const status = await persist(() => queue.fail(job, error, true), deadline, log);
        metrics.jobsFailed.inc({ kind: job.kind, retryable: "true" });
        log.log("warn", "job handed back on shutdown", { status });
        return "handed_back";
      }
    }
  }

  /**
   * A job's final write, retried through database errors (a terminated connection) until the lease this
   * runner knows of runs out: after that the row is another runner's, and the SQL would refuse anyway.
   */
  async function persist<T>(write: () => Promise<T>, deadline: () => number, log: Logger): Promise<T | null> {
    let delayMs = 200;
    for (;;) {
      try {
        return await write();
      } catch (error) {
        metrics.dbErrors.inc();
        if (!isTransientDbError(error)) {
          log.log("error", "the database refused the job's outcome", { error: describe(error) });
          return null;
        }
        if (clock.now().getTime() + delayMs >= deadline()) {
          log.log("error", "could not record the job's outcome before the lease ran out", {
            error: describe(error),
          });
          return null;
        }
        log.log("warn", "recording the job's outcome failed, retrying", { error: describe(error) });
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 5_000);
      }
    }
  }

  function noteEpoch(entry: RunningJob, progress: Record<string, Json>): void {
    const epoch = progress.epoch;
    if (typeof epoch !== "number") return;
    const nowMs = clock.monotonicMs();
    const last = entry.lastEpoch;
    const rate =
      last !== null && nowMs > last.atMs && epoch >= last.epoch
        ? ((epoch - last.epoch) * 1000) / (nowMs - last.atMs)
        : (last?.rate ?? 0);
    entry.lastEpoch = { epoch, atMs: nowMs, rate };
    updateEpochRate();
  }

  async function heartbeat(): Promise<void> {
    try {
      await queue.heartbeat(running.size, version, {
        kinds: config.kinds,
        concurrency: config.concurrency,
        jobs: [...running.values()].map((r) => ({ kind: r.job.kind, id: r.job.job_id })),
        stopping,
      });
    } catch (error) {
      logger.log("warn", "heartbeat failed", { error: describe(error) });
    }
  }

  function startListening(): void {
    const listenOn =
      deps.listen ?? pgListen({ url: config.databaseUrl, applicationName: listenAppName, logger });
    listener = listenOn("synth_jobs", {
      onNotify: () => wake("notify"),
      onListening: () => wake("listen"),
    });
  }

  return {
    metrics,
    async start() {
      if (loopDone !== null) return;
      logger.log("info", "runner starting", {
        concurrency: config.concurrency,
        kinds: config.kinds,
        lease_seconds: config.leaseSeconds,
        poll_seconds: config.pollSeconds,
      });
      startListening();
      if (deps.workers) {
        deps.workers.acquire(claimMemoryBytes);
        holdingWorkers = true;
      }
      heartbeatTimer = setInterval(() => void heartbeat(), config.heartbeatSeconds * 1000);
      void heartbeat();
      loopDone = loop();
    },
    async stop(options = {}) {
      const graceMs = options.graceMs ?? config.shutdownGraceSeconds * 1000;
      stopping = true;
      signalLoop();
      logger.log("info", "runner stopping: no new claims", { running_jobs: running.size, grace_ms: graceMs });
      await loopDone;
      const all = () => Promise.all([...running.values()].map((r) => r.done));
      if (running.size > 0) {
        await Promise.race([all(), sleep(graceMs)]);
        for (const r of running.values()) r.controller.abort(new RunnerAbort("shutdown"));
        await all();
      }
      if (heartbeatTimer !== null) clearInterval(heartbeatTimer);
      await heartbeat().catch(() => {});
      await listener?.close();
      listener = null;
      if (holdingWorkers) {
        holdingWorkers = false;
        await deps.workers?.release(claimMemoryBytes);
      }
      logger.log("info", "runner stopped");
    },
    wake,
    status() {
      return {
        runnerId: config.runnerId,
        runningJobs: running.size,
        jobs: [...running.values()].map((r) => ({
          kind: r.job.kind,
          jobId: r.job.job_id,
          attempt: r.job.attempt,
        })),
        stopping,
        listening: listener?.listening ?? false,
      };
    },
    async dbReachable(timeoutMs = 2000) {
      return Promise.race([
        queue.ping().then(
          () => true,
          () => false,
        ),
        sleep(timeoutMs).then(() => false),
      ]);
    },
  };
}

/** Resolves or rejects with the job, or rejects once the signal has been aborted for ABORT_PATIENCE_MS. */
function untilAbortedTooLong<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason), ABORT_PATIENCE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        if (timer !== null) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        if (timer !== null) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Whether another attempt may succeed: a SynthError says so in details.retryable (Storage's 5xx and
 * network failures); other SynthErrors are about the job itself (bad data, bad config, too big) and would
 * fail again. Errors without a code (a dropped connection, a fetch failure) are transient until
 * max_attempts says otherwise.
 */
/** The executor's rule (training-runner/job-errors.ts), and a database outage passes too. */
export function isRetryable(error: unknown): boolean {
  if (isSynthError(error, "DB_ERROR")) return true;
  return asJobError(error).details.retryable === true;
}

export function errorJson(error: unknown): Record<string, Json> {
  if (isSynthError(error)) {
    const details = JSON.stringify(error.details);
    return {
      code: error.code,
      message: error.message.slice(0, 2000),
      details: details.length <= 16_000 ? (JSON.parse(details) as Json) : { truncated: true },
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "INTERNAL_ERROR", message: message.slice(0, 2000), details: {} };
}

/**
 * A dropped or refused connection (postgres.js codes such as CONNECTION_CLOSED, ECONNREFUSED; SQLSTATE
 * classes 08 and 57P, e.g. a terminated backend) may pass; any other SQLSTATE is the statement's fault.
 */
export function isTransientDbError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return true;
  if (/^[0-9A-Z]{5}$/.test(code))
    return code.startsWith("08") || code.startsWith("57P") || code === "40001" || code === "40P01";
  return true;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
