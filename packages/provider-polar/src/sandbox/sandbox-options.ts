import type { Clock, FetchFunction } from '@trainlytics/core';
import type { ConformanceWebhookEvent } from '@trainlytics/core/testing';

/**
 * How a Polar sandbox server behaves. The package's `PolarSandboxOptions` adds `provider` (the options of the
 * plugins `createProvider()` returns), which this folder cannot name: it imports nothing of the plugin.
 */
export interface PolarSandboxServerOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The `signature_secret_key` the sandbox's webhook signs with (default: a fixed sandbox value). */
  webhookSecret?: string;
  /**
   * Where `sendWebhook` delivers when given no URL and no webhook was created through the API (the CLI's
   * `--webhook-url`). A created webhook always wins, and an inactive one receives nothing, as at Polar.
   */
  webhookUrl?: string;
  /** Redirect URIs registered for the client; the first is the default. Empty: any is accepted. */
  redirectUris?: string[];
  /** The sandbox's notion of now (upload times, rate-limit windows, code expiry). Default: the system clock. */
  clock?: Clock;
  /** Base seed of generated histories (default 1). */
  seed?: number;
  /** An app-wide limit replacing Polar's short window: 429 once `limit` requests were made in `windowMs`. */
  rateLimit?: { windowMs: number; limit: number };
  /** Deactivate the webhook after this many consecutive failed deliveries (Polar: 7 days of failures). */
  autoDeactivateAfterFailures?: number;
  /**
   * Give the transactional flow's exercises integer ids beyond 2^53 (from 2^53 + 1, written as bare JSON
   * numbers, as a Java `long` may be) instead of 1000000 + index (default false).
   */
  largeTransactionalIds?: boolean;
  /** Require `POST /v3/users` before data calls, as Polar does (default true). */
  requireRegistration?: boolean;
  /**
   * Serve only exercises uploaded after the user's registration, as Polar does (default false: seeded
   * histories are served as if they had been uploaded after registration, so a first sync has data).
   */
  hideUploadsBeforeRegistration?: boolean;
  /**
   * Deliver an EXERCISE event to the active webhook for every exercise `addActivities` uploads, as Polar
   * does (default false: tests send deliveries explicitly with `sendWebhook` / `webhookRequest`).
   */
  deliverOnUpload?: boolean;
  /** Used to send webhook deliveries (default: global fetch). */
  fetch?: FetchFunction;
}

export interface PolarSandboxSeedOptions {
  activityCount: number;
  seed?: number;
  /** False: the user has not accepted Polar's mandatory consents (registration answers 403). */
  consentsAccepted?: boolean;
  firstName?: string;
  lastName?: string;
  /** Runs of this many consecutive generated exercises share one start second (default 1: distinct). */
  tieSize?: number;
}

export type PolarSandboxEvent = ConformanceWebhookEvent | { type: 'ping' };
