import type { HttpClient, HttpRequest, HttpResponse, RequestClass } from '../provider/v1/http';
import type { ProviderErrorDescription } from '../provider/v1/provider-v1';
import type { RateLimitSpec } from '../provider/v1/rate-limit';
import type { StandardSchemaV1 } from '../provider/v1/schema';
import type { Clock } from '../runtime/clock';
import type { Logger } from '../runtime/logger';
import { VERSION } from '../version';
import { authorize } from './http/authorize';
import { classifyRejection, isAcceptedStatus } from './http/classify-response';
import { invalidBodyError, networkError, rateLimitWindowError, rejectionError } from './http/failure-error';
import { parseBody } from './http/parse-body';
import { prepareRequest } from './http/prepare-request';
import { waitForRateLimitWindow } from './http/rate-limit-wait';
import { describeRequest, type RequestContext } from './http/request-context';
import {
  type AttemptOutcome,
  decideRetry,
  INITIAL_RETRY_STATE,
  type RetryAction,
  type RetryPolicy,
} from './http/retry-decision';
import { readResponseText, send } from './http/send';
import type { RateLimitTracker } from './rate-limit-tracker';
import type { RetryOptions } from './retry';
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

/** One attempt that did not end the call: what retrying needs to know, and the error if it gives up. */
interface FailedAttempt {
  outcome: AttemptOutcome;
  /** The clock's time when the response came back (or the attempt failed). */
  now: Date;
  /** After a 401 to `auth: 'user'`: asks `onUnauthorized` for a fresh token (absent when it cannot). */
  refreshToken?: (() => Promise<string>) | undefined;
  /** The error to throw when the decision is to fail (`retryAt`: the decision's, for a 429). */
  error(retryAt: Date | undefined): Error;
  /** The warning logged before a retry (none for an invalid body). */
  retryLog?: (action: Extract<RetryAction, { action: 'retry' }>) => [string, Record<string, unknown>];
}

/**
 * Creates the HTTP client a plugin gets in its context. See `HttpClient` for what it adds to `fetch`.
 *
 * One call is a pipeline of small steps (ADR 0039), each in `provider-utils/http/`, repeated per attempt:
 * rate-limit wait → prepare (headers, body) → authorize → send with timeout → count (`onRequest`) and
 * record rate-limit headers → classify the status → read and parse the body → validate. An attempt that
 * does not end the call is an `AttemptOutcome`; the pure `decideRetry` says what happens next (sleep and
 * retry, refresh the token and retry, or throw the attempt's typed error).
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const fetchFn: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const name = options.providerName ?? options.provider;
  const maxRetries = options.maxRetries ?? 3;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 15 * 60_000;
  const userAgent = `trainlytics/${VERSION}${options.userAgentSuffix ? ` ${options.userAgentSuffix}` : ''}`;

  /** Sends one attempt and reads it to the end: the response, or why it did not end the call. */
  async function attempt<T>(
    req: HttpRequest & { schema?: StandardSchemaV1<unknown, T> },
    context: RequestContext,
    requestClass: RequestClass,
    freshToken: string | undefined,
  ): Promise<{ done: HttpResponse<T> } | { failed: FailedAttempt }> {
    const { provider, method, safeUrl, operation } = context;
    await waitForRateLimitWindow(
      {
        provider,
        operation,
        requestClass,
        tracker: options.rateLimitTracker,
        clock: options.clock,
        logger: options.logger,
        maxWaitMs: maxRateLimitWaitMs,
        signal: options.signal,
      },
      (until) => rateLimitWindowError(context, until),
    );
    const { headers, body } = await prepareRequest(req, context, {
      userAgent,
      accessToken: options.accessToken,
    });
    const auth = req.auth ?? 'none';
    const token = await authorize(headers, auth, context, { accessToken: options.accessToken, freshToken });

    const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? 30_000;
    const sent = await send(
      fetchFn,
      context.url,
      { method, headers, body },
      { timeoutMs, signal: options.signal },
    );
    if (sent.kind !== 'response') {
      options.onRequest?.({ method, url: safeUrl, status: undefined });
      if (sent.kind === 'aborted') throw sent.reason;
      const failure = networkError(context, sent.error, { timedOut: sent.timedOut, timeoutMs });
      return {
        failed: {
          outcome: { kind: 'network-error' },
          now: options.clock.now(),
          error: () => failure,
          retryLog: ({ delayMs }) => [
            'provider request failed, retrying',
            { provider, operation, delayMs, error: failure.message },
          ],
        },
      };
    }
    const { response } = sent;
    options.onRequest?.({ method, url: safeUrl, status: response.status });

    const now = options.clock.now();
    if (options.rateLimit && options.rateLimitTracker) {
      const snapshots = options.rateLimit.parse(response.headers, now);
      if (snapshots.length > 0) await options.rateLimitTracker.observe(provider, snapshots, now);
    }

    if (!isAcceptedStatus(response.status, req.acceptStatuses)) {
      const text = await readResponseText(response, context).catch(() => '');
      const described = options.describeError?.({
        status: response.status,
        body: text,
        ...(operation ? { operation } : {}),
      });
      const rejection = classifyRejection({
        status: response.status,
        headers: response.headers,
        auth,
        described,
        rateLimit: options.rateLimit,
        now,
      });
      const { onUnauthorized } = options;
      const refreshToken =
        rejection.kind === 'unauthorized' && onUnauthorized && token
          ? () => onUnauthorized(token)
          : undefined;
      const outcome: AttemptOutcome =
        rejection.kind === 'unauthorized'
          ? { kind: 'unauthorized', canRefresh: refreshToken !== undefined }
          : rejection.kind === 'rate-limited' || rejection.kind === 'retryable-status'
            ? rejection
            : { kind: 'final' };
      const rejected = {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        text,
        described,
      };
      return {
        failed: {
          outcome,
          now,
          refreshToken,
          error: (retryAt) =>
            rejectionError(context, rejection, rejected, {
              now,
              retryAt,
              appSuspendedRetryMs: options.appSuspendedRetryMs,
              connectionId: options.connectionId,
            }),
          retryLog: ({ delayMs, retryAt }) =>
            rejection.kind === 'rate-limited'
              ? ['rate limited, waiting', { provider, operation, retryAt: retryAt?.toISOString() }]
              : ['provider error, retrying', { provider, operation, status: response.status, delayMs }],
        },
      };
    }

    const text = await readResponseText(response, context);
    const parsed = parseBody(text, req.parse);
    if (!parsed.ok) {
      return {
        failed: {
          outcome: { kind: 'invalid-body' },
          now,
          error: () => invalidBodyError(context, { status: response.status, text }, parsed.error),
        },
      };
    }
    const data = req.schema
      ? await validatePayload(req.schema, parsed.data, { provider, entity: operation ?? 'response' })
      : parsed.data;
    return {
      done: {
        status: response.status,
        headers: response.headers,
        url: response.url || context.url.toString(),
        data: data as T,
      },
    };
  }

  async function request<T>(
    req: HttpRequest & { schema?: StandardSchemaV1<unknown, T> },
  ): Promise<HttpResponse<T>> {
    const context = describeRequest(req, options.provider, name);
    const requestClass: RequestClass = req.requestClass ?? options.requestClass ?? 'background';
    const policy: RetryPolicy = {
      maxRetries,
      maxRateLimitRetries,
      maxRateLimitWaitMs,
      requestClass,
      retry: req.retry !== false,
      ...(options.baseDelayMs === undefined ? {} : { baseDelayMs: options.baseDelayMs }),
      ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
    };
    let state = INITIAL_RETRY_STATE;
    /** The token `onUnauthorized` handed back: the retry after a 401 uses it. */
    let freshToken: string | undefined;
    for (;;) {
      const result = await attempt(req, context, requestClass, freshToken);
      if ('done' in result) return result.done;
      const { failed } = result;
      const next = decideRetry(failed.outcome, state, policy, failed.now);
      // a token endpoint's 429 says nothing about the API's read budget: background reads go on
      if (
        failed.outcome.kind === 'rate-limited' &&
        requestClass !== 'oauth' &&
        'retryAt' in next &&
        next.retryAt
      ) {
        await options.rateLimitTracker?.block(options.provider, next.retryAt);
      }
      if (next.action === 'fail') throw failed.error(next.retryAt);
      if (next.action === 'refresh-token') {
        freshToken = await failed.refreshToken?.();
      } else {
        const log = failed.retryLog?.(next);
        if (log) options.logger.warn(...log);
        await options.clock.sleep(next.delayMs, options.signal);
      }
      state = next.state;
    }
  }

  return { request };
}
