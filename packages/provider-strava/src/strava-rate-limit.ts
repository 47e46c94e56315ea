import type { RateLimitSnapshot, RateLimitSpec, RateLimitWindow } from '@trainlytics/core';

const QUARTER_HOUR_MS = 15 * 60_000;

/** The start of the next quarter-hour window (:00, :15, :30, :45 UTC). */
export function nextQuarterHour(now: Date): Date {
  return new Date(Math.floor(now.getTime() / QUARTER_HOUR_MS) * QUARTER_HOUR_MS + QUARTER_HOUR_MS);
}

/** The next midnight UTC, when Strava's daily window resets. */
export function nextMidnightUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** Reads a "15min,daily" header pair; null when absent or unreadable. */
function readPair(headers: Headers, name: string): [number, number] | null {
  const value = headers.get(name);
  if (!value) return null;
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) return null;
  return [parts[0]!, parts[1]!];
}

function snapshot(headers: Headers, prefix: string, bucket: string, now: Date): RateLimitSnapshot | null {
  const limit = readPair(headers, `${prefix}-limit`);
  const usage = readPair(headers, `${prefix}-usage`);
  if (!limit || !usage) return null;
  const windows: RateLimitWindow[] = [
    { name: '15min', limit: limit[0], used: usage[0], resetsAt: nextQuarterHour(now) },
    { name: 'daily', limit: limit[1], used: usage[1], resetsAt: nextMidnightUtc(now) },
  ];
  return { bucket, windows };
}

/**
 * Strava's rate limits: `X-RateLimit-Limit`/`-Usage` (overall) and `X-ReadRateLimit-Limit`/`-Usage`
 * (non-upload), each "15min,daily". `Headers` is case-insensitive, so `X-Ratelimit-Usage` reads the same.
 * No `Retry-After` is sent: a 429 waits for the next quarter-hour, or midnight UTC when a daily window is
 * used up.
 */
export const stravaRateLimit: RateLimitSpec = {
  // the read limits of a new app (https://developers.strava.com/docs/rate-limits/)
  defaults: [
    { name: '15min', limit: 100, windowMs: QUARTER_HOUR_MS },
    { name: 'daily', limit: 1000, windowMs: 86_400_000 },
  ],
  parse(headers, now) {
    const out: RateLimitSnapshot[] = [];
    const overall = snapshot(headers, 'x-ratelimit', 'overall', now);
    if (overall) out.push(overall);
    const read = snapshot(headers, 'x-readratelimit', 'read', now);
    if (read) out.push(read);
    return out;
  },
  retryAt(headers, now) {
    const daily = [
      [readPair(headers, 'x-ratelimit-limit'), readPair(headers, 'x-ratelimit-usage')],
      [readPair(headers, 'x-readratelimit-limit'), readPair(headers, 'x-readratelimit-usage')],
    ].some(([limit, usage]) => limit && usage && usage[1] >= limit[1]);
    return daily ? nextMidnightUtc(now) : nextQuarterHour(now);
  },
};
