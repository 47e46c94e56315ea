import type { RateLimitSnapshot, RateLimitSpec, RateLimitWindow } from '@trainlytics/core';

/**
 * Polar's dynamic per-partner limits: a short (15 min) and a long (24 h) window, each reset a fixed time
 * after its first request. Reported on every response as `RateLimit-Usage`, `RateLimit-Limit` and
 * `RateLimit-Reset` ("short,long"; reset in seconds) — with no `X-` prefix.
 */
const windowNames = ['short', 'long'] as const;

function readPair(headers: Headers, name: string): number[] | null {
  const value = headers.get(name);
  if (!value) return null;
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isFinite(n) || n < 0)) return null;
  return parts;
}

export function parsePolarRateLimit(headers: Headers, now: Date): RateLimitSnapshot[] {
  const usage = readPair(headers, 'ratelimit-usage');
  const limit = readPair(headers, 'ratelimit-limit');
  if (!usage || !limit) return [];
  const reset = readPair(headers, 'ratelimit-reset');
  const windows: RateLimitWindow[] = [];
  windowNames.forEach((name, i) => {
    const used = usage[i];
    const max = limit[i];
    if (used === undefined || max === undefined) return;
    const resetS = reset?.[i];
    windows.push({
      name,
      limit: max,
      used,
      resetsAt: resetS === undefined ? null : new Date(now.getTime() + resetS * 1000),
    });
  });
  return windows.length > 0 ? [{ bucket: 'app', windows }] : [];
}

/** After a 429 without `Retry-After`: the reset of the exhausted window (the short one when unclear). */
export function polarRetryAt(headers: Headers, now: Date): Date | null {
  const snapshot = parsePolarRateLimit(headers, now)[0];
  if (!snapshot) return null;
  const exhausted = snapshot.windows.filter((w) => w.used >= w.limit && w.resetsAt);
  const candidates = exhausted.length > 0 ? exhausted : snapshot.windows.filter((w) => w.resetsAt);
  const times = candidates.map((w) => w.resetsAt!.getTime());
  return times.length > 0 ? new Date(exhausted.length > 0 ? Math.max(...times) : Math.min(...times)) : null;
}

export const polarRateLimit: RateLimitSpec = { parse: parsePolarRateLimit, retryAt: polarRetryAt };
