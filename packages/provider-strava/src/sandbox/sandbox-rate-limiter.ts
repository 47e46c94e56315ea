import type { Clock } from '@trainlytics/core';

const DAY_MS = 86_400_000;

export interface SandboxRateLimit {
  /** The short window (default Strava's 15 minutes), aligned on the clock like :00/:15/:30/:45. */
  windowMs?: number;
  /** The overall limit per short window and per day (`X-RateLimit-Limit`); default 1,000 and 100,000. */
  limit?: number;
  dailyLimit?: number;
  /** The "non-upload" limit per short window and per day (`X-ReadRateLimit-Limit`); default `limit`, `dailyLimit`. */
  readLimit?: number;
  readDailyLimit?: number;
}

/**
 * Whether a request is one of Strava's uploads, the only endpoints outside the "non-upload" (read) limit:
 * `POST /activities` (activities#create) and `POST /uploads` (uploads#create). activities#upload_media has no
 * documented path, and the sandbox serves none of them.
 */
export function isStravaUpload(method: string, path: string): boolean {
  return method === 'POST' && (path === '/activities' || path === '/uploads');
}

/**
 * The app-wide request counters behind the `X-RateLimit-*` (every API request) and `X-ReadRateLimit-*`
 * (every request but uploads, Strava's "non-upload" limit) headers. Requests over a limit still count, as at
 * Strava; an upload is refused only by the overall limits.
 */
export class SandboxRateLimiter {
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly dailyLimit: number;
  private readonly readLimit: number;
  private readonly readDailyLimit: number;
  private usage = { window: -1, short: 0, readShort: 0, day: -1, daily: 0, readDaily: 0 };

  constructor(
    private readonly clock: Clock,
    options: SandboxRateLimit | undefined,
  ) {
    this.windowMs = options?.windowMs ?? 15 * 60_000;
    this.limit = options?.limit ?? 1000;
    this.dailyLimit = options?.dailyLimit ?? 100_000;
    this.readLimit = options?.readLimit ?? this.limit;
    this.readDailyLimit = options?.readDailyLimit ?? this.dailyLimit;
  }

  /** Counts one request (`read`: not an upload); true when it is over a limit that applies to it (answer 429). */
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
    const overall = u.short > this.limit || u.daily > this.dailyLimit;
    return overall || (read && (u.readShort > this.readLimit || u.readDaily > this.readDailyLimit));
  }

  /** The headers of every API response; `exhausted` reports the short window as used up (a forced 429). */
  headers(exhausted = false): Record<string, string> {
    const u = this.usage;
    const short = (used: number, limit: number) => (exhausted ? Math.max(limit, used) : used);
    return {
      'X-RateLimit-Limit': `${this.limit},${this.dailyLimit}`,
      'X-RateLimit-Usage': `${short(u.short, this.limit)},${u.daily}`,
      'X-ReadRateLimit-Limit': `${this.readLimit},${this.readDailyLimit}`,
      'X-ReadRateLimit-Usage': `${short(u.readShort, this.readLimit)},${u.readDaily}`,
    };
  }
}
