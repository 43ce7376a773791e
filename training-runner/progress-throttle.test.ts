import { describe, expect, it } from "vitest";
import { createProgressThrottle, type ThrottleClock } from "./progress-throttle.ts";

/** A clock whose time moves only when the test says, firing due timers in order. */
function fakeClock(): ThrottleClock & { advance(ms: number): void } {
  let t = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => t,
    setTimer(fn, ms) {
      const id = next++;
      timers.push({ at: t + ms, fn, id });
      return id;
    },
    clearTimer(handle) {
      timers = timers.filter((x) => x.id !== handle);
    },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        const due = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
        if (due === undefined) break;
        timers = timers.filter((x) => x !== due);
        t = due.at;
        due.fn();
      }
      t = end;
    },
  };
}

describe("progress throttle", () => {
  it("writes the first report at once, then at most one per interval, always the newest", () => {
    const clock = fakeClock();
    const written: { value: number; at: number }[] = [];
    const throttle = createProgressThrottle<number>((value) => written.push({ value, at: clock.now() }), {
      clock,
    });
    // 50 reports, one every 100 ms: 5 s of epochs.
    for (let i = 1; i <= 50; i++) {
      throttle.push(i);
      clock.advance(100);
    }
    throttle.flush();
    expect(written[0]).toEqual({ value: 1, at: 0 });
    for (let i = 1; i < written.length; i++) {
      expect(written[i].at - written[i - 1].at).toBeGreaterThanOrEqual(1000);
      expect(written[i].value).toBeGreaterThan(written[i - 1].value);
    }
    expect(written.length).toBeLessThanOrEqual(6);
    expect(written.length).toBeGreaterThanOrEqual(5);
    expect(written.at(-1)?.value).toBe(50);
  });

  it("flush writes the pending final report immediately, and nothing when nothing is pending", () => {
    const clock = fakeClock();
    const written: string[] = [];
    const throttle = createProgressThrottle<string>((v) => written.push(v), { clock });
    throttle.push("training");
    clock.advance(10);
    throttle.push("sampling");
    throttle.push("uploading");
    expect(written).toEqual(["training"]);
    throttle.flush();
    expect(written).toEqual(["training", "uploading"]);
    throttle.flush();
    clock.advance(5000);
    expect(written).toEqual(["training", "uploading"]);
    expect(throttle.writes).toBe(2);
  });

  it("a report held back is written when the interval ends, without another push", () => {
    const clock = fakeClock();
    const written: { value: number; at: number }[] = [];
    const throttle = createProgressThrottle<number>((value) => written.push({ value, at: clock.now() }), {
      clock,
      intervalMs: 1000,
    });
    throttle.push(1);
    clock.advance(300);
    throttle.push(2);
    clock.advance(2000);
    expect(written).toEqual([
      { value: 1, at: 0 },
      { value: 2, at: 1000 },
    ]);
  });

  it("cancel drops the pending report", () => {
    const clock = fakeClock();
    const written: number[] = [];
    const throttle = createProgressThrottle<number>((v) => written.push(v), { clock });
    throttle.push(1);
    throttle.push(2);
    throttle.cancel();
    clock.advance(5000);
    expect(written).toEqual([1]);
  });
});
