import type { Clock } from '@trainlytics/core';

const SHORT_WINDOW_MS = 15 * 60_000;
const LONG_WINDOW_MS = 86_400_000;

interface Window {
  start: number;
  used: number;
}

/**
 * Polar's dynamic rate limits: 15 min `500 + users × 20` and 24 h `5000 + users × 100` (users registered with
 * the client), each window reset 15 min / 24 h after its first request, reported as `RateLimit-Usage`,
 * `RateLimit-Limit` and `RateLimit-Reset` ("short,long"; no `X-` prefix).
 */
export class SandboxRateLimit {
  private short: Window = { start: 0, used: 0 };
  private long: Window = { start: 0, used: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly registeredUsers: () => number,
    /** The sandbox's `rateLimit` option: replaces the short window. */
    private readonly knob: { windowMs: number; limit: number } | undefined,
  ) {}

  private limits(): { short: number; long: number; shortWindowMs: number } {
    const users = this.registeredUsers();
    return {
      short: this.knob?.limit ?? 500 + users * 20,
      long: 5000 + users * 100,
      shortWindowMs: this.knob?.windowMs ?? SHORT_WINDOW_MS,
    };
  }

  /** Counts one API request in both rolling windows; false when a window is used up. */
  count(): boolean {
    const now = this.clock.now().getTime();
    const { short, long, shortWindowMs } = this.limits();
    if (this.short.used === 0 || now >= this.short.start + shortWindowMs)
      this.short = { start: now, used: 0 };
    if (this.long.used === 0 || now >= this.long.start + LONG_WINDOW_MS) this.long = { start: now, used: 0 };
    if (this.short.used >= short || this.long.used >= long) return false;
    this.short.used++;
    this.long.used++;
    return true;
  }

  headers(): Record<string, string> {
    const now = this.clock.now().getTime();
    const { short, long, shortWindowMs } = this.limits();
    const shortReset = this.short.used === 0 ? shortWindowMs : this.short.start + shortWindowMs - now;
    const longReset = this.long.used === 0 ? LONG_WINDOW_MS : this.long.start + LONG_WINDOW_MS - now;
    return {
      'RateLimit-Usage': `${this.short.used},${this.long.used}`,
      'RateLimit-Limit': `${short},${long}`,
      'RateLimit-Reset': `${Math.max(0, Math.ceil(shortReset / 1000))},${Math.max(0, Math.ceil(longReset / 1000))}`,
    };
  }
}
