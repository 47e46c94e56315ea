import type { StandardSchemaV1 } from './schema';

export type QueryValue = string | number | boolean | null | undefined;

/** How a request authenticates. `user` = the connection's access token, refreshed by core as needed. */
export type HttpAuth =
  | 'none'
  | 'user'
  | { bearer: string }
  | { basic: { username: string; password: string } };

/**
 * Whose budget a request spends, and so whether it may wait for the app-wide rate limit:
 *
 * - `background` (the default): sync reads. They wait for a used-up window or a 429 up to the caller's
 *   `maxRateLimitWaitMs`, and beyond it fail with `RateLimitError` (a sync then ends `deferred`).
 * - `interactive`: a person is waiting (the profile read while connecting, a revoke when disconnecting).
 *   Never queued behind background work: sent even when the rate-limit tracker says the window is used up
 *   (counted all the same); a 429 answer is recorded for background work and fails at once.
 * - `oauth`: a call to the provider's token endpoint (code exchange, refresh). Not an API read: the
 *   tracker is neither consulted nor blocked by it, and a 429 fails at once (codes are single-use and
 *   short-lived, so waiting only makes them expire).
 */
export type RequestClass = 'background' | 'interactive' | 'oauth';

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string | URL;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** An `application/x-www-form-urlencoded` body; undefined values are left out. */
  form?: Record<string, string | undefined>;
  auth?: HttpAuth;
  /**
   * Sends the connection's access token as this `form` field instead of as a header: only for token
   * revocation (RFC 7009, e.g. Strava's `POST /oauth/revoke` with `token`), where the app authenticates
   * itself with `auth: { basic }`. Needs a connection context. Every other call carries the token in the
   * `Authorization` header (`auth: 'user'`).
   */
  userTokenField?: string;
  /** Statuses other than 2xx that are not errors for this call (e.g. Polar's 409 on registration). */
  acceptStatuses?: number[];
  /** Names the call in errors and logs: `list activities`, `token exchange`. */
  operation?: string;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
  /** Overrides the client's request class (see `RequestClass`); `requestToken` sends `oauth`. */
  requestClass?: RequestClass;
  /** `false` disables retries (e.g. single-use authorization codes). */
  retry?: boolean;
  /**
   * Parses a response body instead of `JSON.parse`, e.g. to keep int64 ids beyond 2^53 exact. Throwing
   * counts as an invalid body (retried like a truncated response).
   */
  parse?: (text: string) => unknown;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  url: string;
  /** The parsed (and validated, when a schema was given) body; `undefined` for an empty body. */
  data: T;
}

/**
 * The HTTP client core hands a plugin. It adds the user agent, timeouts, retries with backoff that
 * honour `Retry-After`, rate-limit bookkeeping, token refresh on 401 for `auth: 'user'`, request counting
 * and payload validation. Non-accepted statuses throw `ProviderApiError` (or a subclass), except a 401 the
 * refresh does not fix (`ReauthorizationRequiredError`, reason `token-refused`) and a connection limit the
 * provider names (`ConnectionLimitError`).
 */
export interface HttpClient {
  request<T = unknown>(
    request: HttpRequest & { schema?: StandardSchemaV1<unknown, T> },
  ): Promise<HttpResponse<T>>;
}
