import type { RequestClass } from '../../provider/v1/http';
import { backoffDelay, type RetryOptions } from '../retry';

/** Why an attempt did not end the call, as far as retrying cares. */
export type AttemptOutcome =
  /** fetch threw or timed out (nothing usable came back). */
  | { kind: 'network-error' }
  /** A success status whose body the parser refused (e.g. a truncated page). */
  | { kind: 'invalid-body' }
  /** A 401 to an `auth: 'user'` call; `canRefresh` when an `onUnauthorized` hook and a token exist. */
  | { kind: 'unauthorized'; canRefresh: boolean }
  /** A 429; `retryAt` as the response said (null: unknown). */
  | { kind: 'rate-limited'; retryAt: Date | null }
  /** 408/409/425/5xx; `retryAt` from `Retry-After` (null: none). */
  | { kind: 'retryable-status'; retryAt: Date | null }
  /** Anything that is never retried (another 4xx, an app-wide condition). */
  | { kind: 'final' };

/** The counters one call carries from attempt to attempt. Never mutated: each decision returns the next. */
export interface RetryState {
  /** Retries spent on network errors, invalid bodies and retryable statuses. */
  readonly attempt: number;
  /** 429s waited for. */
  readonly rateLimitRetries: number;
  /** Whether the access token was already refreshed once after a 401. */
  readonly refreshed: boolean;
}

export const INITIAL_RETRY_STATE: RetryState = Object.freeze({
  attempt: 0,
  rateLimitRetries: 0,
  refreshed: false,
});

export interface RetryPolicy extends RetryOptions {
  /** Retries of transient failures (default 3 in the client). */
  maxRetries: number;
  /** 429s a background request waits for. */
  maxRateLimitRetries: number;
  /** The longest wait for one 429. */
  maxRateLimitWaitMs: number;
  requestClass: RequestClass;
  /** `HttpRequest.retry`: false turns off every retry (a 401 still refreshes the token once). */
  retry: boolean;
}

/** What the client does next. */
export type RetryAction =
  /** Sleep `delayMs` on the clock, then send again with `state`. `retryAt` for a 429: the time waited for. */
  | { action: 'retry'; delayMs: number; state: RetryState; retryAt?: Date }
  /** Ask `onUnauthorized` for a fresh token and send again with it at once. */
  | { action: 'refresh-token'; state: RetryState }
  /** Throw the attempt's error. `retryAt` for a 429: when the provider may be called again. */
  | { action: 'fail'; retryAt?: Date };

/**
 * The retry decision: a pure function of the outcome, the counters, the policy and the clock's `now`.
 * Rules (property-tested):
 * - a `final` outcome, and anything with `retry: false` (except the one token refresh), fails;
 * - transient outcomes (network error, invalid body, retryable status) are retried at most `maxRetries`
 *   times in all, after `backoffDelay(attempt)` — or, for a retryable status with `Retry-After`, exactly until
 *   that time (never negative);
 * - a 401 refreshes the token at most once per call, then fails;
 * - a 429 waits until its `retryAt` (else `now + backoffDelay(rateLimitRetries)`) only for `background`
 *   requests, at most `maxRateLimitRetries` times, and only when that wait is within `maxRateLimitWaitMs`;
 *   otherwise it fails with that `retryAt`.
 * Non-idempotent methods are retried like the others (the client has always done so; `retry: false` is how
 * a call opts out).
 */
export function decideRetry(
  outcome: AttemptOutcome,
  state: RetryState,
  policy: RetryPolicy,
  now: Date,
): RetryAction {
  switch (outcome.kind) {
    case 'network-error':
    case 'invalid-body':
    case 'retryable-status': {
      if (!policy.retry || state.attempt >= policy.maxRetries) return { action: 'fail' };
      const retryAt = outcome.kind === 'retryable-status' ? outcome.retryAt : null;
      const delayMs = retryAt
        ? Math.max(0, retryAt.getTime() - now.getTime())
        : backoffDelay(state.attempt, policy);
      return { action: 'retry', delayMs, state: { ...state, attempt: state.attempt + 1 } };
    }
    case 'unauthorized':
      return outcome.canRefresh && !state.refreshed
        ? { action: 'refresh-token', state: { ...state, refreshed: true } }
        : { action: 'fail' };
    case 'rate-limited': {
      const retryAt =
        outcome.retryAt ?? new Date(now.getTime() + backoffDelay(state.rateLimitRetries, policy));
      const waitMs = retryAt.getTime() - now.getTime();
      const waits =
        policy.requestClass === 'background' &&
        policy.retry &&
        state.rateLimitRetries < policy.maxRateLimitRetries &&
        waitMs <= policy.maxRateLimitWaitMs;
      if (!waits) return { action: 'fail', retryAt };
      return {
        action: 'retry',
        delayMs: Math.max(0, waitMs),
        retryAt,
        state: { ...state, rateLimitRetries: state.rateLimitRetries + 1 },
      };
    }
    case 'final':
      return { action: 'fail' };
  }
}
