import type { ConnectionContext, ConnectionInfo, ProviderContext } from '../provider/v1/context';
import type { HttpClient, RequestClass } from '../provider/v1/http';
import type { Provider } from '../provider/v1/provider-v1';
import { createHttpClient } from '../provider-utils/http-client';
import type { Runtime } from './runtime';

/** What of the runtime a provider HTTP client is built from (an instance's, or `providerAppContext`'s). */
export type ProviderHttpRuntime = Pick<Runtime, 'fetch' | 'clock' | 'logger' | 'http' | 'rateLimitTracker'>;

/** Counts the requests sent through one or more clients (`sync_history.requests_made`). */
export interface RequestCounter {
  count: number;
}

export interface ProviderHttpOptions {
  signal?: AbortSignal | undefined;
  counter?: RequestCounter | undefined;
  connectionId?: number | undefined;
  accessToken?: (() => Promise<string>) | undefined;
  onUnauthorized?: ((rejectedToken: string) => Promise<string>) | undefined;
  /** The class of the call site's requests (default `background`; see `RequestClass`). */
  requestClass?: RequestClass | undefined;
  /** Overrides the host's `http.maxRateLimitWaitMs` for this call site (e.g. a sync's own cap). */
  maxRateLimitWaitMs?: number | undefined;
}

/**
 * The HTTP client for one call site: the provider's rate-limit spec and error describer, the instance's
 * shared rate-limit tracker, the injected fetch/clock/logger and the host's HTTP settings.
 */
export function createProviderHttp(
  rt: ProviderHttpRuntime,
  provider: Provider,
  options: ProviderHttpOptions = {},
): HttpClient {
  const counter = options.counter;
  return createHttpClient({
    provider: provider.id,
    providerName: provider.name,
    fetch: provider.fetch ?? rt.fetch,
    clock: rt.clock,
    logger: rt.logger,
    ...rt.http,
    ...(options.maxRateLimitWaitMs === undefined ? {} : { maxRateLimitWaitMs: options.maxRateLimitWaitMs }),
    requestClass: options.requestClass,
    rateLimit: provider.rateLimit,
    rateLimitTracker: rt.rateLimitTracker,
    describeError: provider.describeError?.bind(provider),
    signal: options.signal,
    accessToken: options.accessToken,
    onUnauthorized: options.onUnauthorized,
    connectionId: options.connectionId,
    userAgentSuffix: provider.userAgent,
    onRequest: counter
      ? () => {
          counter.count++;
        }
      : undefined,
  });
}

/** A context for calls not made on behalf of a connection (token endpoints, webhook parsing). */
export function createProviderContext(
  rt: ProviderHttpRuntime,
  provider: Provider,
  options: ProviderHttpOptions = {},
): ProviderContext {
  return {
    http: createProviderHttp(rt, provider, options),
    clock: rt.clock,
    logger: rt.logger,
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

export function createConnectionContext(
  rt: ProviderHttpRuntime,
  provider: Provider,
  connection: ConnectionInfo,
  options: ProviderHttpOptions,
): ConnectionContext {
  return { ...createProviderContext(rt, provider, options), connection };
}
