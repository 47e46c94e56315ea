import type { JsonValue } from '../../model/json';
import type { ActivityBatch } from './activities';
import type { DeliveredStreamsBatch } from './streams';

/** What is known of a webhook request before its body is read (`ProviderWebhooksV1.verifyHeaders`). */
export interface WebhookRequestHead {
  method: string;
  url: URL;
  headers: Headers;
}

/** A webhook request with its raw body (read by core with a size limit). */
export interface WebhookRequest extends WebhookRequestHead {
  /** The raw bytes, for signature checks. */
  body: Uint8Array;
  /** The body as UTF-8 text. */
  text(): string;
  /**
   * The body parsed as JSON, int64-safe (`parseJsonExact`: an integer beyond 2^53 is its digit string, never
   * a rounded number); throws `ValidationError` for invalid JSON.
   */
  json(): unknown;
}

export interface WebhookResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

interface WebhookEventBase {
  /** The provider's account id the event is about. */
  providerUserId: string;
  /** A stable key of the delivery, for de-duplication (redeliveries carry the same key). */
  eventKey: string;
}

/** Activities were created or changed: either pushed in the body, or to be fetched via `ref`. */
export interface ActivityChangedEvent extends WebhookEventBase {
  type: 'activity.changed';
  /** Activities the provider pushed (Garmin push): stored without any request. */
  batch?: ActivityBatch;
  /** What to fetch, handed to the plugin's `fetchChanged` (an activity id, a URL, a callback URL). */
  ref?: JsonValue;
}

export interface ActivityDeletedEvent extends WebhookEventBase {
  type: 'activity.deleted';
  providerActivityId: string;
}

/**
 * An activity's streams arrived by push delivery (core 0.3, ADR 0033; Garmin's `activityDetails`): either
 * in the body (`delivered`), or to be fetched via `ref` with the plugin's `streams.fetchDelivered`. Core
 * stores them for the matching activity (creating it from `DeliveredStreams.activity` when the summary has
 * not arrived yet). Fetched inline even in queue mode: a summary sync does not fetch streams.
 */
export interface ActivityStreamsEvent extends WebhookEventBase {
  type: 'activity.streams';
  delivered?: DeliveredStreamsBatch;
  ref?: JsonValue;
}

/** The user revoked access at the provider: core deactivates the connection. */
export interface DeauthorizedEvent extends WebhookEventBase {
  type: 'connection.deauthorized';
}

/** The user changed what they share (Garmin permissions, Strava privacy). */
export interface PermissionsChangedEvent extends WebhookEventBase {
  type: 'connection.permissions_changed';
  scopes: string[];
}

export type WebhookEvent =
  | ActivityChangedEvent
  | ActivityDeletedEvent
  | ActivityStreamsEvent
  | DeauthorizedEvent
  | PermissionsChangedEvent;
