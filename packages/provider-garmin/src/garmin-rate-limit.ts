import type { RateLimitSnapshot, RateLimitSpec } from '@trainlytics/core';

/**
 * Garmin documents no per-request rate-limit headers (only backfill limits: 100 days/min for evaluation
 * keys, 10,000 days/min in production). When an app-wide limit is reported, it comes as the common
 * `X-RateLimit-Limit` / `X-RateLimit-Remaining` / `X-RateLimit-Reset` (seconds until reset) headers, which
 * this reads. A 429 without `Retry-After` is retried at the reported reset, else after a minute: Garmin's
 * documented limits are per minute (an evaluation key's backfill allowance of 100 days/min is used up by
 * four 30-day requests), so an exponential backoff of a few seconds would only collect more 429s.
 */
const DEFAULT_RETRY_MS = 60_000;

function readInt(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || !/^\s*\d+\s*$/.test(value)) return null;
  return Number(value);
}

export const garminRateLimit: RateLimitSpec = {
  parse(headers: Headers, now: Date): RateLimitSnapshot[] {
    const limit = readInt(headers, 'x-ratelimit-limit');
    const remaining = readInt(headers, 'x-ratelimit-remaining');
    if (limit === null || remaining === null) return [];
    const reset = readInt(headers, 'x-ratelimit-reset');
    return [
      {
        bucket: 'app',
        windows: [
          {
            name: 'app',
            limit,
            used: Math.max(0, limit - remaining),
            resetsAt: reset === null ? null : new Date(now.getTime() + reset * 1000),
          },
        ],
      },
    ];
  },
  retryAt(headers: Headers, now: Date): Date {
    const reset = readInt(headers, 'x-ratelimit-reset');
    return new Date(now.getTime() + (reset === null ? DEFAULT_RETRY_MS : reset * 1000));
  },
};
