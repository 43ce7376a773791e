/**
 * At most one progress write per `intervalMs` per job, so Realtime subscribers see the row move without a
 * flood of updates (DESIGN: about once a second). A report inside the interval is kept and written when the
 * interval ends (only the newest one: older ones are stale); `flush()` writes what is pending at once, so
 * the final state is never lost. Clock and timers are injected so tests run on a fake clock.
 */
export interface ThrottleClock {
  /** Monotonic milliseconds. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realThrottleClock: ThrottleClock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ProgressThrottle<T> {
  push(value: T): void;
  /** Writes the pending value now (if any) and stops the timer; later pushes still work. */
  flush(): void;
  /** Drops what is pending without writing (the job ended another way). */
  cancel(): void;
  readonly writes: number;
}

export function createProgressThrottle<T>(
  write: (value: T) => void,
  options: { intervalMs?: number; clock?: ThrottleClock } = {},
): ProgressThrottle<T> {
  const interval = options.intervalMs ?? 1000;
  const clock = options.clock ?? realThrottleClock;
  let last = Number.NEGATIVE_INFINITY;
  let pending: { value: T } | null = null;
  let timer: unknown = null;
  let writes = 0;

  const emit = (value: T) => {
    last = clock.now();
    writes += 1;
    write(value);
  };
  const stopTimer = () => {
    if (timer !== null) clock.clearTimer(timer);
    timer = null;
  };
  const onTimer = () => {
    timer = null;
    if (pending === null) return;
    const { value } = pending;
    pending = null;
    emit(value);
  };

  return {
    push(value) {
      const now = clock.now();
      if (timer === null && now - last >= interval) {
        pending = null;
        emit(value);
        return;
      }
      pending = { value };
      if (timer === null) timer = clock.setTimer(onTimer, Math.max(0, last + interval - now));
    },
    flush() {
      stopTimer();
      if (pending === null) return;
      const { value } = pending;
      pending = null;
      emit(value);
    },
    cancel() {
      stopTimer();
      pending = null;
    },
    get writes() {
      return writes;
    },
  };
}
