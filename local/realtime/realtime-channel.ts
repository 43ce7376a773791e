import type { Binding } from "./binding.ts";
import type { RealtimeClaims } from "./realtime-token.ts";

/**
 * One joined `realtime:<name>` topic of a connection: whose token it reads with and which bindings are
 * live. Bindings become live only once checked against the catalog (the "Subscribed to PostgreSQL" point).
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class RealtimeChannel {
  bindings: Binding[] = [];
  /** True once the bindings are checked; changes are delivered only then. */
  live = false;
  /** "Subscribed to PostgreSQL" is owed but the change listener was down when the bindings went live. */
  announcementPending = false;
  private expiryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly topic: string,
    readonly joinRef: string | null,
    public token: string,
    public claims: RealtimeClaims,
  ) {}

  /** The topic without the `realtime:` prefix, as system messages name the channel. */
  get name(): string {
    return this.topic.slice("realtime:".length);
  }

  /** Arms onExpired for the token's exp (the real server re-confirms the token at expiry). */
  watchExpiry(onExpired: () => void, now: () => number = Date.now): void {
    this.stopExpiryWatch();
    const remaining = this.claims.exp * 1000 - now();
    if (remaining <= 0) {
      onExpired();
      return;
    }
    // Timers hold at most 2^31-1 ms (about 24 days), API keys live for years: re-arm until the real expiry.
    this.expiryTimer = setTimeout(() => this.watchExpiry(onExpired, now), Math.min(remaining, MAX_TIMER_MS));
    this.expiryTimer.unref?.();
  }

  stopExpiryWatch(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }
}
