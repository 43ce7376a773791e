import { afterEach, describe, expect, it, vi } from "vitest";
import { RealtimeChannel } from "./realtime-channel.ts";

describe("RealtimeChannel.watchExpiry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits past the 24-day timer limit for a long-lived key, and fires at its exp", () => {
    vi.useFakeTimers({ now: new Date("2026-12-01T00:00:00Z") });
    const day = 24 * 3600 * 1000;
    const exp = Math.floor((Date.now() + 60 * day) / 1000);
    const channel = new RealtimeChannel("realtime:x", "1", "token", { role: "anon", exp });
    const expired = vi.fn();
    channel.watchExpiry(expired);
    vi.advanceTimersByTime(30 * day);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(29 * day);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1 * day + 1000);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("fires at once for a token already expired, and never after stopExpiryWatch", () => {
    vi.useFakeTimers();
    const past = new RealtimeChannel("realtime:x", "1", "t", {
      role: "anon",
      exp: Math.floor(Date.now() / 1000) - 5,
    });
    const expired = vi.fn();
    past.watchExpiry(expired);
    expect(expired).toHaveBeenCalledTimes(1);

    const future = new RealtimeChannel("realtime:y", "2", "t", {
      role: "anon",
      exp: Math.floor(Date.now() / 1000) + 5,
    });
    const later = vi.fn();
    future.watchExpiry(later);
    future.stopExpiryWatch();
    vi.advanceTimersByTime(10_000);
    expect(later).not.toHaveBeenCalled();
  });
});
