import type { RequestClass } from '../../provider/v1/http';
import type { Clock } from '../../runtime/clock';
import type { Logger } from '../../runtime/logger';
import type { RateLimitTracker } from '../rate-limit-tracker';

export interface RateLimitWaitSettings {
  provider: string;
  operation?: string | undefined;
  requestClass: RequestClass;
  tracker?: RateLimitTracker | undefined;
  clock: Clock;
  logger: Logger;
  /** The longest one wait may be (`maxRateLimitWaitMs`). */
  maxWaitMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * Reserves one request of the provider's app-wide budget before an attempt is sent. Contract:
 * - no tracker, or an `oauth` request: returns at once, reserving nothing (token endpoints are not API reads);
 * - `interactive`: reserves (counted) and returns at once even when the window is used up (a person waits);
 * - `background`: while the tracker says "not before T", sleeps on the clock until T and asks again; when T
 *   is more than `maxWaitMs` away it throws `tooLong(T)` instead, so it never sleeps longer than `maxWaitMs`
 *   at a time.
 */
export async function waitForRateLimitWindow(
  settings: RateLimitWaitSettings,
  tooLong: (until: Date) => Error,
): Promise<void> {
  const { tracker, provider, clock, logger } = settings;
  if (!tracker || settings.requestClass === 'oauth') return;
  for (;;) {
    const now = clock.now();
    const until = await tracker.reserve(provider, now);
    if (!until) return;
    if (settings.requestClass === 'interactive') {
      logger.debug('sending an interactive request although the rate-limit window is used up', {
        provider,
        operation: settings.operation,
        until: until.toISOString(),
      });
      return;
    }
    const waitMs = until.getTime() - now.getTime();
    if (waitMs > settings.maxWaitMs) throw tooLong(until);
    logger.info('waiting for rate-limit window', { provider, until: until.toISOString() });
    await clock.sleep(waitMs, settings.signal);
  }
}
