import type { ProviderContext } from '../provider/v1/context';
import type { Provider } from '../provider/v1/provider-v1';
import type { FetchFunction } from '../provider-utils/http-client';
import type { RateLimitTracker } from '../provider-utils/rate-limit-tracker';
import { createMemoryRateLimitTracker } from '../provider-utils/rate-limit-tracker';
import { type Clock, systemClock } from '../runtime/clock';
import { type Logger, silentLogger } from '../runtime/logger';
import { createProviderContext } from './provider-http';
import type { TrainlyticsOptions } from './types';

/** What `providerAppContext` builds the client from; each defaults as in `createTrainlytics`. */
export interface ProviderAppContextOptions {
  /** Used when the plugin has no `fetch` of its own (default the global `fetch`). */
  fetch?: FetchFunction | undefined;
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  /** Timeout, retries and rate-limit wait cap, as `TrainlyticsOptions.http`. */
  http?: TrainlyticsOptions['http'] | undefined;
  /** App-wide rate-limit state (default a fresh in-memory one). */
  rateLimitTracker?: RateLimitTracker | undefined;
}

/**
 * A provider context for app-level calls made outside a Trainlytics instance (a plugin's webhook subscription
 * helpers called from a script): built exactly as an instance builds the one it gives the plugin (the
 * plugin's rate limits, error describer, user agent and `fetch`), from these options instead of the
 * instance's. With an instance at hand, use `trainlytics.providerContext(id)`: it shares the instance's
 * fetch, logger and rate-limit state. No connection, so no user token: calls authenticate as the app.
 */
export function providerAppContext(
  provider: Provider,
  options: ProviderAppContextOptions = {},
): ProviderContext {
  return createProviderContext(
    {
      fetch: options.fetch,
      clock: options.clock ?? systemClock,
      logger: options.logger ?? silentLogger,
      http: options.http ?? {},
      rateLimitTracker: options.rateLimitTracker ?? createMemoryRateLimitTracker(),
    },
    provider,
  );
}
