import { notRetryable } from "./job-errors.ts";

/**
 * The job's wall-clock budget across its steps (download, compute, upload): `remainingMs` for the worker's
 * own timeout, `race` for I/O that cannot be interrupted (the BlobStore takes no signal), `check` between
 * steps, which also honours a cancel.
 */
export interface Deadline {
  remainingMs(): number | undefined;
  race<T>(promise: Promise<T>): Promise<T>;
  check(): void;
}

export function createDeadline(
  timeoutMs: number | undefined,
  signal: AbortSignal,
  monotonicMs: () => number,
): Deadline {
  const end = timeoutMs === undefined ? undefined : monotonicMs() + timeoutMs;
  const timeout = () =>
    notRetryable(
      "JOB_TIMEOUT",
      `the job ran longer than its ${Math.round((timeoutMs ?? 0) / 1000)} s limit and was stopped`,
      {
        timeout_ms: timeoutMs,
      },
    );
  const remainingMs = () => (end === undefined ? undefined : Math.max(0, end - monotonicMs()));
  const check = () => {
    if (signal.aborted) throw notRetryable("ABORTED", "the job was cancelled");
    if (end !== undefined && monotonicMs() >= end) throw timeout();
  };
  return {
    remainingMs,
    check,
    async race(promise) {
      check();
      const left = remainingMs();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      const stop = new Promise<never>((_, reject) => {
        if (left !== undefined) timer = setTimeout(() => reject(timeout()), left);
        onAbort = () => reject(notRetryable("ABORTED", "the job was cancelled"));
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([promise, stop]);
      } finally {
        if (timer !== undefined) clearTimeout(timer);
        if (onAbort) signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
