import type { Clock } from '@trainlytics/core';

const DAY_MS = 86_400_000;

export interface SandboxRateLimit {
  /** The short window (default Strava's 15 minutes), aligned on the clock like :00/:15/:30/:45. */
  windowMs?: number;
  limit: number;
  dailyLimit?: number;
}

/**
 * The app-wide request counters behind the `X-RateLimit-*` (every API request) and `X-ReadRateLimit-*`
 * (reads) headers. Requests over a limit still count, as at Strava.
 */
export class SandboxRateLimiter {
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly dailyLimit: number;
  private usage = { window: -1, short: 0, readShort: 0, day: -1, daily: 0, readDaily: 0 };

  constructor(
    private readonly clock: Clock,
    options: SandboxRateLimit | undefined,
  ) {
    this.windowMs = options?.windowMs ?? 15 * 60_000;
    this.limit = options?.limit ?? 1000;
    this.dailyLimit = options?.dailyLimit ?? 100_000;
  }

  /** Counts one request; true when it is over a limit (answer 429). */
  count(read: boolean): boolean {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / this.windowMs);
    const day = Math.floor(now / DAY_MS);
    const u = this.usage;
    if (window !== u.window) Object.assign(u, { window, short: 0, readShort: 0 });
    if (day !== u.day) Object.assign(u, { day, daily: 0, readDaily: 0 });
    u.short++;
    u.daily++;
    if (read) {
      u.readShort++;
      u.readDaily++;
    }
    return (
      u.short > this.limit ||
      u.daily > this.dailyLimit ||
      u.readShort > this.limit ||
      u.readDaily > this.dailyLimit
    );
  }

  /** The headers of every API response; `exhausted` reports the short window as used up (a forced 429). */
  headers(exhausted = false): Record<string, string> {
    const u = this.usage;
    const short = (used: number) => (exhausted ? Math.max(this.limit, used) : used);
    return {
      'X-RateLimit-Limit': `${this.limit},${this.dailyLimit}`,
      'X-RateLimit-Usage': `${short(u.short)},${u.daily}`,
      'X-ReadRateLimit-Limit': `${this.limit},${this.dailyLimit}`,
      'X-ReadRateLimit-Usage': `${short(u.readShort)},${u.readDaily}`,
    };
  }
}
