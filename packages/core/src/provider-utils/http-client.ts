import {
  AppSuspendedError,
  ConnectionLimitError,
  RateLimitError,
  ReauthorizationRequiredError,
} from '../errors/errors';
import { isRetryableStatus, ProviderApiError, redactUrl } from '../errors/provider-api-error';
import type { HttpClient, HttpRequest, HttpResponse, QueryValue, RequestClass } from '../provider/v1/http';
import type { ProviderErrorDescription } from '../provider/v1/provider-v1';
import type { RateLimitSpec } from '../provider/v1/rate-limit';
import type { StandardSchemaV1 } from '../provider/v1/schema';
import type { Clock } from '../runtime/clock';
import type { Logger } from '../runtime/logger';
import { VERSION } from '../version';
import type { RateLimitTracker } from './rate-limit-tracker';
import { backoffDelay, parseRetryAfter, type RetryOptions } from './retry';
import { validatePayload } from './validate';

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface HttpClientOptions extends RetryOptions {
  /** Provider id (`strava`) and display name (`Strava`) for errors and logs. */
  provider: string;
  providerName?: string;
  fetch?: FetchFunction;
  clock: Clock;
  logger: Logger;
  /** Default timeout of one attempt (default 30 s). */
  timeoutMs?: number;
  /**
   * The longest a `background` request waits for a rate-limit window (a used-up window or a 429) before
   * failing with `RateLimitError` (default 15 min). `interactive` and `oauth` requests never wait for one.
   */
  maxRateLimitWaitMs?: number;
  /** The class of this client's requests unless a request says otherwise (default `background`). */
  requestClass?: RequestClass | undefined;
  /** Retries of 429s that are waited for (default 5). */
  maxRateLimitRetries?: number;
  rateLimit?: RateLimitSpec | undefined;
  rateLimitTracker?: RateLimitTracker | undefined;
  describeError?:
    | ((info: { status: number; body: string; operation?: string }) => ProviderErrorDescription | undefined)
    | undefined;
  /** The default wait after an `app-suspended` answer (`AppSuspendedError.retryAt`; default 15 min). */
  appSuspendedRetryMs?: number;
  signal?: AbortSignal | undefined;
  /** The connection's access token, for `auth: 'user'`. */
  accessToken?: (() => Promise<string>) | undefined;
  /** Called on a 401 to an `auth: 'user'` call: returns a fresh token (retried once) or throws. */
  onUnauthorized?: ((rejectedToken: string) => Promise<string>) | undefined;
  /** Called for every request sent (for `sync_history.requests_made`). */
  onRequest?: ((info: { method: string; url: string; status: number | undefined }) => void) | undefined;
  connectionId?: number | undefined;
  /** Product tokens sent after core's own in the `User-Agent` (`provider-strava/0.3.1`). */
  userAgentSuffix?: string | undefined;
}

function buildUrl(url: string | URL, query?: Record<string, QueryValue>): URL {
  const u = new URL(url.toString());
  if (query) {
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
  }
  return u;
}

function headersToRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

const BODY_SNIPPET = 2000;

/**
 * Creates the HTTP client a plugin gets in its context. See `HttpClient` for what it adds to `fetch`.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchFn: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const name = options.providerName ?? options.provider;
  const maxRetries = options.maxRetries ?? 3;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 15 * 60_000;
  const userAgent = `trainlytics/${VERSION}${options.userAgentSuffix ? ` ${options.userAgentSuffix}` : ''}`;

  async function waitForRateLimit(
    url: string,
    method: string,
    operation: string | undefined,
    requestClass: RequestClass,
  ): Promise<void> {
    const tracker = options.rateLimitTracker;
    // token endpoints are not API reads: they neither spend nor wait for the API's budget
    if (!tracker || requestClass === 'oauth') return;
    for (;;) {
      const now = options.clock.now();
      const until = await tracker.reserve(options.provider, now);
      if (!until) return;
      if (requestClass === 'interactive') {
        // a person is waiting: never queue behind background work (a 429 answer fails at once)
        options.logger.debug('sending an interactive request although the rate-limit window is used up', {
          provider: options.provider,
          operation,
          until: until.toISOString(),
        });
        return;
      }
      const waitMs = until.getTime() - now.getTime();
      if (waitMs > maxRateLimitWaitMs) {
        throw new RateLimitError(
          `${name} rate limit reached${operation ? ` before '${operation}'` : ''}: the next request may be sent at ${until.toISOString()}`,
          {
            provider: options.provider,
            url,
            method,
            retryAt: until,
            hint: 'Trainlytics resumes from the last committed page on the next sync after that time',
          },
        );
      }
      options.logger.info('waiting for rate-limit window', {
        provider: options.provider,
        until: until.toISOString(),
      });
      await options.clock.sleep(waitMs, options.signal);
    }
  }

  async function readBody(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw new ProviderApiError(`${name} closed the connection while sending the response body`, {
        provider: options.provider,
        url: response.url,
        status: response.status,
        isRetryable: true,
        cause: error,
      });
    }
  }

  async function request<T>(
    req: HttpRequest & { schema?: StandardSchemaV1<unknown, T> },
  ): Promise<HttpResponse<T>> {
    const method = req.method ?? 'GET';
    const url = buildUrl(req.url, req.query);
    const safeUrl = redactUrl(url.toString());
    const operation = req.operation;
    const what = operation ? `'${operation}'` : `${method} ${url.pathname}`;
    const retries = req.retry === false ? 0 : maxRetries;
    const requestClass: RequestClass = req.requestClass ?? options.requestClass ?? 'background';
    let attempt = 0;
    let rateLimitRetries = 0;
    let refreshed = false;
    /** The token `onUnauthorized` handed back: the retry after a 401 uses it. */
    let freshToken: string | undefined;

    for (;;) {
      await waitForRateLimit(safeUrl, method, operation, requestClass);
      const headers = new Headers({ accept: 'application/json', 'user-agent': userAgent, ...req.headers });
      let body: string | undefined;
      if (req.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(req.json);
      } else if (req.form || req.userTokenField) {
        headers.set('content-type', 'application/x-www-form-urlencoded');
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(req.form ?? {})) if (v !== undefined) form.set(k, v);
        if (req.userTokenField) {
          if (!options.accessToken) {
            throw new Error(`${name} ${what}: userTokenField needs a connection context`);
          }
          form.set(req.userTokenField, await options.accessToken());
        }
        body = form.toString();
      }
      let token: string | undefined;
      const auth = req.auth ?? 'none';
      if (auth === 'user') {
        if (!options.accessToken) throw new Error(`${name} ${what}: auth 'user' needs a connection context`);
        token = freshToken ?? (await options.accessToken());
        headers.set('authorization', `Bearer ${token}`);
      } else if (auth !== 'none' && 'bearer' in auth) {
        headers.set('authorization', `Bearer ${auth.bearer}`);
      } else if (auth !== 'none' && 'basic' in auth) {
        const encoded = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64');
        headers.set('authorization', `Basic ${encoded}`);
      }

      const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? 30_000;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let response: Response;
      try {
        response = await fetchFn(url, { method, headers, body, signal, redirect: 'follow' });
      } catch (error) {
        options.onRequest?.({ method, url: safeUrl, status: undefined });
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        const timedOut = timeout.aborted;
        const failure = new ProviderApiError(
          timedOut
            ? `${name} did not answer ${what} within ${timeoutMs} ms`
            : `Could not reach ${name} for ${what} at ${url.origin}: ${(error as Error)?.message ?? String(error)}`,
          {
            provider: options.provider,
            url: safeUrl,
            method,
            isRetryable: true,
            cause: error,
            hint: 'check the network or the provider status; the request is retried with backoff',
          },
        );
        if (attempt < retries) {
          const delay = backoffDelay(attempt++, options);
          options.logger.warn('provider request failed, retrying', {
            provider: options.provider,
            operation,
            delayMs: delay,
            error: failure.message,
          });
          await options.clock.sleep(delay, options.signal);
          continue;
        }
        throw failure;
      }
      options.onRequest?.({ method, url: safeUrl, status: response.status });

      const now = options.clock.now();
      if (options.rateLimit && options.rateLimitTracker) {
        const snaps = options.rateLimit.parse(response.headers, now);
        if (snaps.length > 0) await options.rateLimitTracker.observe(options.provider, snaps, now);
      }

      const accepted =
        (response.status >= 200 && response.status < 300) ||
        (req.acceptStatuses ?? []).includes(response.status);
      if (!accepted) {
        const text = await readBody(response).catch(() => '');
        const responseHeaders = headersToRecord(response.headers);
        const described = options.describeError?.({
          status: response.status,
          body: text,
          ...(operation ? { operation } : {}),
        });
        const base = {
          provider: options.provider,
          url: safeUrl,
          method,
          status: response.status,
          responseHeaders,
          responseBody: text.slice(0, BODY_SNIPPET),
        };

        // An app-wide condition the plugin read in the body: no retry, no refresh, no reauthorization flag.
        if (described?.condition === 'app-suspended') {
          const retryAt = new Date(
            now.getTime() + (described.retryAfterMs ?? options.appSuspendedRetryMs ?? 15 * 60_000),
          );
          throw new AppSuspendedError(
            described.message ?? `${name} refused ${what}: the app is suspended (HTTP ${response.status})`,
            {
              ...base,
              retryAt,
              reason: described.reason ?? 'suspended',
              ...(described.hint ? { hint: described.hint } : {}),
            },
          );
        }
        if (described?.condition === 'connection-limit') {
          throw new ConnectionLimitError(
            described.message ?? `${name} refused ${what}: the app's limit of connected accounts is reached`,
            {
              provider: options.provider,
              status: response.status,
              ...(described.limit === undefined ? {} : { limit: described.limit }),
              ...(described.hint ? { hint: described.hint } : {}),
            },
          );
        }

        if (response.status === 401 && auth === 'user') {
          if (!refreshed && options.onUnauthorized && token) {
            refreshed = true;
            freshToken = await options.onUnauthorized(token);
            continue;
          }
          throw new ReauthorizationRequiredError(
            described?.message ?? `${name} refused the access token for ${what} (HTTP 401)`,
            {
              provider: options.provider,
              status: response.status,
              reason: 'token-refused',
              connectionId: options.connectionId,
              hint: described?.hint ?? 'the user must reconnect if this persists',
            },
          );
        }

        if (response.status === 429) {
          const retryAt =
            parseRetryAfter(response.headers, now) ??
            options.rateLimit?.retryAt?.(response.headers, now) ??
            new Date(now.getTime() + backoffDelay(rateLimitRetries, options));
          // a token endpoint's 429 says nothing about the API's read budget: background reads go on
          if (requestClass !== 'oauth') await options.rateLimitTracker?.block(options.provider, retryAt);
          const waitMs = retryAt.getTime() - now.getTime();
          if (
            requestClass === 'background' &&
            rateLimitRetries < maxRateLimitRetries &&
            waitMs <= maxRateLimitWaitMs &&
            req.retry !== false
          ) {
            rateLimitRetries++;
            options.logger.warn('rate limited, waiting', {
              provider: options.provider,
              operation,
              retryAt: retryAt.toISOString(),
            });
            await options.clock.sleep(Math.max(0, waitMs), options.signal);
            continue;
          }
          throw new RateLimitError(
            `${described?.message ?? `${name} rate limit reached for ${what}`}: retry after ${retryAt.toISOString()}`,
            {
              ...base,
              retryAt,
              hint: described?.hint ?? 'Trainlytics resumes from the last committed page on the next sync',
            },
          );
        }

        if (isRetryableStatus(response.status) && attempt < retries) {
          const retryAt = parseRetryAfter(response.headers, now);
          const delay = retryAt
            ? Math.max(0, retryAt.getTime() - now.getTime())
            : backoffDelay(attempt, options);
          attempt++;
          options.logger.warn('provider error, retrying', {
            provider: options.provider,
            operation,
            status: response.status,
            delayMs: delay,
          });
          await options.clock.sleep(delay, options.signal);
          continue;
        }

        throw new ProviderApiError(
          described?.message ??
            `${name} ${what} failed with HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
          {
            ...base,
            hint:
              described?.hint ??
              (response.status >= 500
                ? 'the provider had a server error; the next sync resumes where this one stopped'
                : undefined),
          },
        );
      }

      const text = await readBody(response);
      let data: unknown;
      if (text.length > 0) {
        try {
          data = req.parse ? req.parse(text) : JSON.parse(text);
        } catch (error) {
          const failure = new ProviderApiError(
            `${name} ${what} returned a body that is not valid JSON (HTTP ${response.status})`,
            {
              provider: options.provider,
              url: safeUrl,
              method,
              status: response.status,
              responseBody: text.slice(0, 200),
              isRetryable: true,
              cause: error,
            },
          );
          if (attempt < retries) {
            const delay = backoffDelay(attempt++, options);
            await options.clock.sleep(delay, options.signal);
            continue;
          }
          throw failure;
        }
      }
      if (req.schema) {
        data = await validatePayload(req.schema, data, {
          provider: options.provider,
          entity: operation ?? 'response',
        });
      }
      return {
        status: response.status,
        headers: response.headers,
        url: response.url || url.toString(),
        data: data as T,
      };
    }
  }

  return { request };
}
