import { notRetryable } from "./job-errors.ts";

/**
 * The job's wall-clock budget across its steps (download, compute, upload): `remainingMs` for the worker's
 * own timeout, `race` for work that cannot be interrupted (the BlobStore takes no signal), `check` between
 * steps, and `signal` (cancel or time up) for inline compute, which cannot be terminated and must stop
 * itself.
 */
export interface Deadline {
  remainingMs(): number | undefined;
  race<T>(promise: Promise<T>): Promise<T>;
  check(): void;
  readonly signal: AbortSignal;
  /** Clears the timer; `signal` does not fire for the time limit afterwards. */
  dispose(): void;
}

export function createDeadline(
  timeoutMs: number | undefined,
  cancel: AbortSignal,
  monotonicMs: () => number,
): Deadline {
  const end = timeoutMs === undefined ? undefined : monotonicMs() + timeoutMs;
  const timeout = () =>
    notRetryable(
      "JOB_TIMEOUT",
      `the job ran longer than its ${Math.round((timeoutMs ?? 0) / 1000)} s limit and was stopped`,
      { timeout_ms: timeoutMs },
    );
  const cancelled = () => notRetryable("ABORTED", "the job was cancelled");
  const expiry = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => expiry.abort(), timeoutMs);
  const signal = AbortSignal.any([cancel, expiry.signal]);
  const remainingMs = () => (end === undefined ? undefined : Math.max(0, end - monotonicMs()));
  const check = () => {
    if (cancel.aborted) throw cancelled();
    if (expiry.signal.aborted || (end !== undefined && monotonicMs() >= end)) throw timeout();
  };
  return {
    remainingMs,
    check,
    signal,
    dispose: () => clearTimeout(timer),
    async race(promise) {
      check();
      let onAbort: (() => void) | undefined;
      const stop = new Promise<never>((_, reject) => {
        onAbort = () => reject(cancel.aborted ? cancelled() : timeout());
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([promise, stop]);
      } finally {
        if (onAbort) signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
