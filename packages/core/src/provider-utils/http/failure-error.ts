import {
  AppSuspendedError,
  ConnectionLimitError,
  RateLimitError,
  ReauthorizationRequiredError,
} from '../../errors/errors';
import { ProviderApiError } from '../../errors/provider-api-error';
import type { ProviderErrorDescription } from '../../provider/v1/provider-v1';
import type { Rejection } from './classify-response';
import type { RequestContext } from './request-context';

/** How much of an error body an error keeps. */
const BODY_SNIPPET = 2000;

/**
 * The typed errors the client throws, one builder per failure (pure: no I/O, nothing thrown here). Messages
 * name the provider and the call (`Testfit 'list activities' failed with HTTP 500 Internal Server Error`).
 */

/** A used-up rate-limit window whose reset is beyond the wait budget (thrown before sending). */
export function rateLimitWindowError(context: RequestContext, until: Date): RateLimitError {
  const { name, operation } = context;
  return new RateLimitError(
    `${name} rate limit reached${operation ? ` before '${operation}'` : ''}: the next request may be sent at ${until.toISOString()}`,
    {
      provider: context.provider,
      url: context.safeUrl,
      method: context.method,
      retryAt: until,
      hint: 'Trainlytics resumes from the last committed page on the next sync after that time',
    },
  );
}

/** fetch threw, or the attempt timed out: a retryable `ProviderApiError` naming the origin. */
export function networkError(
  context: RequestContext,
  error: unknown,
  timeout: { timedOut: boolean; timeoutMs: number },
): ProviderApiError {
  const { name, what } = context;
  return new ProviderApiError(
    timeout.timedOut
      ? `${name} did not answer ${what} within ${timeout.timeoutMs} ms`
      : `Could not reach ${name} for ${what} at ${context.url.origin}: ${(error as Error)?.message ?? String(error)}`,
    {
      provider: context.provider,
      url: context.safeUrl,
      method: context.method,
      isRetryable: true,
      cause: error,
      hint: 'check the network or the provider status; the request is retried with backoff',
    },
  );
}

/** A success status whose body the parser refused: retryable, with the body's first 200 characters. */
export function invalidBodyError(
  context: RequestContext,
  response: { status: number; text: string },
  error: unknown,
): ProviderApiError {
  return new ProviderApiError(
    `${context.name} ${context.what} returned a body that is not valid JSON (HTTP ${response.status})`,
    {
      provider: context.provider,
      url: context.safeUrl,
      method: context.method,
      status: response.status,
      responseBody: response.text.slice(0, 200),
      isRetryable: true,
      cause: error,
    },
  );
}

/** A non-accepted response as read: status line, headers, body text and the plugin's verdict on it. */
export interface RejectedResponse {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
  described: ProviderErrorDescription | undefined;
}

/**
 * The error of a rejection the client gives up on: `AppSuspendedError` (with `retryAt` = now + the verdict's
 * or the client's suspension wait), `ConnectionLimitError`, `ReauthorizationRequiredError` (a 401 to `auth: 'user'`),
 * `RateLimitError` (a 429, with the `retryAt` the retry decision settled on), else `ProviderApiError`. The
 * plugin's message and hint win over the defaults.
 */
export function rejectionError(
  context: RequestContext,
  rejection: Rejection,
  response: RejectedResponse,
  extra: {
    now: Date;
    retryAt?: Date | undefined;
    appSuspendedRetryMs?: number | undefined;
    connectionId?: number | undefined;
  },
): Error {
  const { name, what } = context;
  const { status, described } = response;
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    responseHeaders[k] = v;
  });
  const base = {
    provider: context.provider,
    url: context.safeUrl,
    method: context.method,
    status,
    responseHeaders,
    responseBody: response.text.slice(0, BODY_SNIPPET),
  };
  switch (rejection.kind) {
    case 'app-suspended': {
      const d = rejection.described;
      const retryAt = new Date(
        extra.now.getTime() + (d.retryAfterMs ?? extra.appSuspendedRetryMs ?? 15 * 60_000),
      );
      return new AppSuspendedError(
        d.message ?? `${name} refused ${what}: the app is suspended (HTTP ${status})`,
        {
          ...base,
          retryAt,
          reason: d.reason ?? 'suspended',
          ...(d.hint ? { hint: d.hint } : {}),
        },
      );
    }
    case 'connection-limit': {
      const d = rejection.described;
      return new ConnectionLimitError(
        d.message ?? `${name} refused ${what}: the app's limit of connected accounts is reached`,
        {
          provider: context.provider,
          status,
          ...(d.limit === undefined ? {} : { limit: d.limit }),
          ...(d.hint ? { hint: d.hint } : {}),
        },
      );
    }
    case 'unauthorized':
      return new ReauthorizationRequiredError(
        described?.message ?? `${name} refused the access token for ${what} (HTTP 401)`,
        {
          provider: base.provider,
          status: 401,
          reason: 'token-refused',
          connectionId: extra.connectionId,
          hint: described?.hint ?? 'the user must reconnect if this persists',
        },
      );
    case 'rate-limited': {
      const retryAt = extra.retryAt ?? rejection.retryAt ?? extra.now;
      return new RateLimitError(
        `${described?.message ?? `${name} rate limit reached for ${what}`}: retry after ${retryAt.toISOString()}`,
        {
          ...base,
          retryAt,
          hint: described?.hint ?? 'Trainlytics resumes from the last committed page on the next sync',
        },
      );
    }
    default:
      return new ProviderApiError(
        described?.message ??
          `${name} ${what} failed with HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}`,
        {
          ...base,
          hint:
            described?.hint ??
            (status >= 500
              ? 'the provider had a server error; the next sync resumes where this one stopped'
              : undefined),
        },
      );
  }
}
