import { type Clock, systemClock, toEpochSeconds } from '@trainlytics/core';
import type { SandboxFaults } from '@trainlytics/core/testing';
import { BackfillDeliveries } from './backfill-delivery';
import { PendingNotifications } from './pending-notifications';
import { PingCallbacks } from './ping-callbacks';
import { SandboxAccounts } from './sandbox-accounts';
import type { StoredSummary } from './sandbox-history';
import type { GarminSandboxOptions, SandboxSettings } from './sandbox-options';
import { SANDBOX_API_PATH } from './sandbox-paths';
import { SandboxRateLimits } from './sandbox-rate-limit';
import { SandboxRequestLog } from './sandbox-request-log';
import { timerScheduler } from './sandbox-scheduler';
import { SandboxTokens } from './sandbox-tokens';
import { type SandboxUser, startedBetween, uploadedBetween } from './sandbox-user';
import { DEFAULT_WINDOW_BOUNDS, type WindowBounds } from './summary-windows';

/**
 * Everything a running Garmin sandbox holds, shared by its routes, its deliveries and its programmatic
 * API: the app's credentials and settings, the users, the OAuth state, the pending notifications and
 * ping callbacks, the limits, the fault knobs and the request log.
 */
export class SandboxState {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clock: Clock;
  readonly accounts: SandboxAccounts;
  readonly tokens: SandboxTokens;
  readonly rateLimits: SandboxRateLimits;
  readonly pending = new PendingNotifications();
  readonly callbacks = new PingCallbacks();
  readonly requests = new SandboxRequestLog();
  readonly deliveries: BackfillDeliveries;
  /** The fault knobs; replaced (never mutated) by `setFaults`, spent in place by the requests they break. */
  faults: SandboxFaults;
  /** `http://host:port` once listening. */
  origin = '';
  /** Whether the HTTP server is up (automatic deliveries run only then). */
  listening = false;
  private notificationCounter = 0;

  /** What a program may change on the running sandbox (`sandbox.webhookUrl = …`), read at each use. */
  readonly settings: SandboxSettings;

  constructor(readonly options: GarminSandboxOptions) {
    this.clientId = options.clientId ?? 'garmin-sandbox-client';
    this.clientSecret = options.clientSecret ?? 'garmin-sandbox-secret';
    this.clock = options.clock ?? systemClock;
    this.settings = {
      webhookUrl: options.webhookUrl,
      notificationMode: options.notificationMode ?? 'push',
      rateLimit: options.rateLimit ?? { windowMs: 60_000, limit: 10_000 },
    };
    this.faults = { ...(options.faults ?? {}) };
    this.accounts = new SandboxAccounts(options.seed ?? 1, () => this.nowS());
    this.tokens = new SandboxTokens(this.clock);
    this.rateLimits = new SandboxRateLimits(this.clock, this.settings, options.backfillDaysPerMinute);
    this.deliveries = new BackfillDeliveries(this, options.scheduler ?? timerScheduler);
  }

  get apiUrl(): string {
    return `${this.origin}${SANDBOX_API_PATH}`;
  }

  get windowBounds(): WindowBounds {
    return this.options.windowBounds ?? DEFAULT_WINDOW_BOUNDS;
  }

  /** The sandbox clock in epoch seconds. */
  nowS(): number {
    return toEpochSeconds(this.clock.now());
  }

  /** A number for the next notification's made-up id. */
  nextNotificationNumber(): number {
    return ++this.notificationCounter;
  }

  /** The user removes the app: unregistered, every token revoked (see `GarminSandbox.deregister`). */
  deregister(userId: string): void {
    const user = this.accounts.get(userId);
    user.registered = false;
    this.tokens.revokeUser(user.userId);
  }

  /** The user's current summaries uploaded in `from…to`, read with the sandbox's bounds unless given. */
  uploadedBetween(
    user: SandboxUser,
    fromS: number,
    toS: number,
    bounds: WindowBounds = this.windowBounds,
  ): StoredSummary[] {
    return uploadedBetween(user, { fromS, toS, bounds, nowS: this.nowS() });
  }

  /** The user's current summaries started in `from…to`, read with the sandbox's bounds. */
  startedBetween(user: SandboxUser, fromS: number, toS: number): StoredSummary[] {
    return startedBetween(user, { fromS, toS, bounds: this.windowBounds, nowS: this.nowS() });
  }
}
