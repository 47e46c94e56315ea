/** Backoff settings for retries of retryable failures (network errors, timeouts, 408/409/425/429/5xx). */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First delay (default 500 ms); doubles each attempt. */
  baseDelayMs?: number;
  /** Cap of one delay (default 30 s). */
  maxDelayMs?: number;
}

/** The delay before retry number `attempt` (0-based): exponential, capped. Deterministic (no jitter) so tests can assert it. */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  return Math.min(max, base * 2 ** attempt);
}

/**
 * Reads `Retry-After` (delta seconds or an HTTP date) and the `retry-after-ms` extension.
 * Returns the time to retry at, or null when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers, now: Date): Date | null {
  const ms = headers.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return new Date(now.getTime() + Number(ms));
  const value = headers.get('retry-after');
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return new Date(now.getTime() + Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : new Date(Math.max(date, now.getTime()));
}
