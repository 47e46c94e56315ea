import { isRetryableStatus } from '../../errors/provider-api-error';
import type { HttpAuth } from '../../provider/v1/http';
import type { ProviderErrorDescription } from '../../provider/v1/provider-v1';
import type { RateLimitSpec } from '../../provider/v1/rate-limit';
import { parseRetryAfter } from '../retry';

/** Whether a status is the call's success: any 2xx, or one the request lists in `acceptStatuses`. */
export function isAcceptedStatus(status: number, acceptStatuses: readonly number[] = []): boolean {
  return (status >= 200 && status < 300) || acceptStatuses.includes(status);
}

/** What a non-accepted response means, first match wins (the order below). */
export type Rejection =
  /** The plugin read an app-wide suspension in the body: fail at once, no retry, no refresh. */
  | { kind: 'app-suspended'; described: ProviderErrorDescription }
  /** The plugin read the app's connected-account limit in the body: fail at once. */
  | { kind: 'connection-limit'; described: ProviderErrorDescription }
  /** A 401 to an `auth: 'user'` call: the access token was refused. */
  | { kind: 'unauthorized' }
  /** A 429; `retryAt` from `Retry-After`/`retry-after-ms`, else the provider's `rateLimit.retryAt`, else null. */
  | { kind: 'rate-limited'; retryAt: Date | null }
  /** 408, 409, 425 or 5xx; `retryAt` from `Retry-After`/`retry-after-ms`, else null. */
  | { kind: 'retryable-status'; retryAt: Date | null }
  /** Any other status (a 4xx): fail at once. */
  | { kind: 'rejected' };

/**
 * Classifies a non-accepted response (pure: the same status, headers, verdict and `now` give the same
 * answer). The plugin's `describeError` verdict outranks the status; 429 is `rate-limited`, never
 * `retryable-status`; a 401 is `unauthorized` only for `auth: 'user'` (else `rejected`).
 */
export function classifyRejection(input: {
  status: number;
  headers: Headers;
  auth: HttpAuth;
  described?: ProviderErrorDescription | undefined;
  rateLimit?: RateLimitSpec | undefined;
  now: Date;
}): Rejection {
  const { status, headers, described, now } = input;
  if (described?.condition === 'app-suspended') return { kind: 'app-suspended', described };
  if (described?.condition === 'connection-limit') return { kind: 'connection-limit', described };
  if (status === 401 && input.auth === 'user') return { kind: 'unauthorized' };
  if (status === 429) {
    return {
      kind: 'rate-limited',
      retryAt: parseRetryAfter(headers, now) ?? input.rateLimit?.retryAt?.(headers, now) ?? null,
    };
  }
  if (isRetryableStatus(status)) return { kind: 'retryable-status', retryAt: parseRetryAfter(headers, now) };
  return { kind: 'rejected' };
}
