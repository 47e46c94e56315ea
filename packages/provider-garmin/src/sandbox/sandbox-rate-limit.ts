import type { Clock } from '@trainlytics/core';
import type { SandboxSettings } from './sandbox-options';

const DAY_S = 86_400;
const MINUTE_MS = 60_000;

/** A backfill over the allowance: the 429's message and rate-limit headers. */
export interface BackfillRefusal {
  message: string;
  headers: Record<string, string>;
}

/**
 * Garmin's app-wide limits, on the sandbox clock: requests per window (`settings.rateLimit`, read at each
 * request so a program may change it) and days of backfill per minute (`backfillDaysPerMinute`).
 */
export class SandboxRateLimits {
  private window = { startedAt: 0, count: 0 };
  private backfillWindow = { startedAt: 0, days: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly settings: Pick<SandboxSettings, 'rateLimit'>,
    private readonly backfillDaysPerMinute: number | undefined,
  ) {}

  /** Counts a request in the app-wide window; true when it is over the limit (and then not counted). */
  overLimit(): boolean {
    const nowMs = this.clock.now().getTime();
    if (nowMs >= this.window.startedAt + this.settings.rateLimit.windowMs)
      this.window = { startedAt: nowMs, count: 0 };
    if (this.window.count >= this.settings.rateLimit.limit) return true;
    this.window.count++;
    return false;
  }

  /** The `x-ratelimit-*` headers every API answer carries. */
  headers(): Record<string, string> {
    const nowMs = this.clock.now().getTime();
    const { windowMs, limit } = this.settings.rateLimit;
    const resetMs = Math.max(0, this.window.startedAt + windowMs - nowMs);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - this.window.count)),
      'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
    };
  }

  /**
   * Spends the days of a backfill of `start…end` (epoch seconds) from the minute's allowance; the refusal
   * when they do not fit (nothing spent), null when they do or there is no allowance.
   */
  spendBackfillDays(start: number, end: number): BackfillRefusal | null {
    const allowance = this.backfillDaysPerMinute;
    if (allowance === undefined) return null;
    const nowMs = this.clock.now().getTime();
    if (nowMs >= this.backfillWindow.startedAt + MINUTE_MS)
      this.backfillWindow = { startedAt: nowMs, days: 0 };
    const days = Math.ceil((end - start) / DAY_S);
    if (this.backfillWindow.days + days > allowance) {
      const resetS = Math.ceil((this.backfillWindow.startedAt + MINUTE_MS - nowMs) / 1000);
      return {
        message: `Backfill rate limit: ${allowance} days per minute`,
        headers: {
          'x-ratelimit-limit': String(allowance),
          'x-ratelimit-remaining': String(Math.max(0, allowance - this.backfillWindow.days)),
          'x-ratelimit-reset': String(resetS),
        },
      };
    }
    this.backfillWindow.days += days;
    return null;
  }
}
