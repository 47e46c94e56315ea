import type { TokenCipher } from '../crypto/token-cipher';
import type { Provider } from '../provider/v1/provider-v1';
import type { FetchFunction } from '../provider-utils/http-client';
import type { RateLimitTracker } from '../provider-utils/rate-limit-tracker';
import type { Clock } from '../runtime/clock';
import type { Logger } from '../runtime/logger';
import type { Store } from '../store/store';
import type { TrainlyticsOptions } from './types';

/**
 * What every part of a Trainlytics instance shares: the store, the providers, the injected clock,
 * fetch and logger, the token cipher and the app-wide rate-limit state. Internal: not exported.
 */
export interface Runtime {
  store: Store;
  providers: ReadonlyMap<string, Provider>;
  getProvider(id: string): Provider;
  clock: Clock;
  logger: Logger;
  fetch: FetchFunction | undefined;
  cipher: TokenCipher;
  rateLimitTracker: RateLimitTracker;
  http: NonNullable<TrainlyticsOptions['http']>;
  stateTtlMs: number;
  /** How long a lease (sync, refresh) is held without renewal (a heartbeat renews it every third). */
  leaseTtlMs: number;
  /** Pause between two attempts to take a lease held by someone else. */
  leasePollMs: number;
  /** Longest wait for a lease held by a live holder before giving up (default 10 minutes). */
  leaseMaxWaitMs: number;
  /** Names this process in lease owners, for a waiting caller's message (`trainlytics sync (pid 1234 on host)`). */
  holderName: string;
  /** Identifies this instance in lease owners (with a random suffix per holder). */
  instanceId: string;
  /** In-process locks: callers of one instance queue here before competing for a lease. */
  locks: Map<string, Promise<void>>;
  /**
   * App-wide conditions by provider id (`AppSuspendedError`): while one holds, syncs of that provider end
   * `deferred` without a request; the first sync after `retryAt` calls again, and a success clears it.
   */
  appConditions: Map<string, AppCondition>;
}

/** A provider refuses every call of this app until its owner acts (see `AppSuspendedError`). */
export interface AppCondition {
  errorName: string;
  /** The message and the fix, as `sync_history` records it. */
  message: string;
  reason: string;
  retryAt: Date;
}
