import type { Clock } from '@trainlytics/core';
import type { SandboxFaults } from '@trainlytics/core/testing';
import type { SandboxScheduler } from './sandbox-scheduler';
import type { WindowBounds } from './summary-windows';

export interface GarminSandboxOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The sandbox's time: token expiry, upload times, rate-limit windows. Share a `FakeClock` with the plugin in tests. */
  clock?: Clock;
  /** Seeds generated users and histories (default 1). */
  seed?: number;
  /**
   * Where notifications go by default (`flushNotifications`, `sendWebhook` without a URL). With it, a
   * requested backfill is delivered there by the sandbox itself (see `deliverBackfills`).
   */
  webhookUrl?: string;
  /**
   * `auto` (default): as Garmin does, a backfill request answered 202 is delivered to `webhookUrl` by the
   * sandbox itself, `backfillDelayMs` later, without any call; a delivery the app does not answer 2xx is
   * retried (the delay doubling, `MAX_DELIVERY_ATTEMPTS` in all), then left pending. Without a
   * `webhookUrl`, or with `manual`, it waits for `flushNotifications`/`takeNotifications`.
   */
  deliverBackfills?: 'auto' | 'manual';
  /** How long after a backfill request its notifications are sent (default 1000 ms). */
  backfillDelayMs?: number;
  /** Runs the automatic deliveries (default: timers); a test passes one it drives by hand. */
  scheduler?: SandboxScheduler;
  /** How activity notifications are sent: full summaries (`push`, default) or a `callbackURL` (`ping`). */
  notificationMode?: 'push' | 'ping';
  /** An app-wide rate limit answering 429 when exceeded (default 10,000 requests per minute). */
  rateLimit?: { windowMs: number; limit: number };
  /**
   * Garmin's backfill allowance: days of history requested per minute, app-wide (an evaluation key has 100,
   * production 10,000; default unlimited). Over it, a backfill request gets a 429 whose rate-limit headers
   * describe this allowance.
   */
  backfillDaysPerMinute?: number;
  faults?: SandboxFaults;
  /** Accounts created at start. */
  accounts?: Array<{ activityCount: number; seed?: number; days?: number }>;
  /** Activities of an account created on the consent page ("Create a new Garmin account"), default 30. */
  newAccountActivities?: number;
  /** Summaries per push notification (default 200). */
  maxItemsPerNotification?: number;
  /**
   * How the pull's `uploadStartTimeInSeconds`/`uploadEndTimeInSeconds` (and the backfill's
   * `summaryStartTimeInSeconds`/`summaryEndTimeInSeconds`) bounds are read: `[)` (default) includes the
   * start second and excludes the end one, `[]` includes both, `()` excludes both, `(]` the reverse of
   * `[)`. Garmin does not document it; a plugin must lose nothing (and count nothing twice) under each.
   */
  windowBounds?: WindowBounds;
}

/**
 * What a program may change on a running sandbox (`sandbox.webhookUrl = …`): read by the routes and the
 * deliveries at the moment they need it.
 */
export interface SandboxSettings {
  webhookUrl: string | undefined;
  notificationMode: 'push' | 'ping';
  rateLimit: { windowMs: number; limit: number };
}
