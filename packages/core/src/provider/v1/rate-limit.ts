/** One rate-limit window as a provider reports it. */
export interface RateLimitWindow {
  /** `15min`, `daily`, `short`, `long`. */
  name: string;
  limit: number;
  used: number;
  /** When the window resets; null when unknown. */
  resetsAt: Date | null;
}

/** What one response said about a rate-limit bucket of the app (e.g. Strava `overall` and `read`). */
export interface RateLimitSnapshot {
  bucket: string;
  windows: RateLimitWindow[];
}

export interface RateLimitSpec {
  /** Reads the rate-limit headers of any response (case-insensitive by `Headers`). */
  parse(headers: Headers, now: Date): RateLimitSnapshot[];
  /**
   * When a 429 without `Retry-After` may be retried (Strava: the next quarter-hour, or midnight UTC when
   * the daily window is used up). Null: core backs off exponentially.
   */
  retryAt?(headers: Headers, now: Date): Date | null;
  /**
   * The provider's documented default limits (Strava: 100 reads per 15 min, 1,000 per day), used for
   * estimates until a response reports the app's own (added in core 0.2).
   */
  defaults?: Array<{ name: string; limit: number; windowMs: number }>;
}
