import type { ValidationError } from '../../errors/errors';
import type { NormalizedActivity } from '../../model/activity';
import type { ActivityStreams } from '../../model/activity-streams';
import type { JsonValue } from '../../model/json';
import type { ConnectionContext } from './context';

/**
 * The optional streams capability of a plugin (added in core 0.2, issue 14, ADR 0030): what happened
 * inside an activity — time-aligned samples, laps, route — fetched one activity at a time.
 *
 * Streams cost requests the summary sync does not make (Strava: two per activity against a read budget of
 * 100 per 15 min), so core fetches them as separate, low-priority work (`trainlytics.activities.detail`,
 * `trainlytics detail`, the streams backlog), never inside a summary sync or a webhook's processing.
 */
export interface ProviderStreamsV1 {
  /**
   * How the provider gives streams:
   * - `pull`: `fetch` requests and returns them (Strava, Polar);
   * - `push`: `fetch` asks the provider to deliver them (Garmin's backfill of Activity Details) and returns
   *   `{ status: 'requested' }`; they arrive later by webhook.
   */
  delivery: 'pull' | 'push';
  /** The fewest requests one activity's streams cost (Strava: 2, streams and laps); the planner uses it. */
  requestsPerActivity: number;
  /**
   * Fetches the streams of one stored activity. `activity.raw` is the stored payload (e.g. Strava's
   * `map.summary_polyline`). Validates what the provider sent; throws `ValidationError` for a payload that
   * is not what the provider documents.
   */
  fetch(ctx: ConnectionContext, activity: StreamsActivity): Promise<StreamsFetchResult>;
  /**
   * Push delivery only, optional (core 0.3, ADR 0033): fetches streams a webhook announced by reference
   * (an `activity.streams` event with `ref`, e.g. Garmin's ping `callbackURL` for `activityDetails`).
   * Validates what the provider sent; a malformed item goes to `rejected`, the others are delivered.
   */
  fetchDelivered?(ctx: ConnectionContext, ref: JsonValue): Promise<DeliveredStreamsBatch>;
}

/**
 * One activity's streams as the provider delivered them (push delivery, ADR 0033). Core stores `streams`
 * for the connection's activity with `providerActivityId`. When no such activity is stored yet (the
 * detail arrived before its summary), core first stores `activity` — the activity as the delivery
 * describes it, best as `detail: 'summary'` so the real summary replaces it — and then the streams, so a
 * delivery is never lost; `activity` never overwrites a stored activity.
 */
export interface DeliveredStreams {
  providerActivityId: string;
  /** The activity's start: the stored activity is found by its start and id (one indexed query). */
  startDate: Date;
  activity?: NormalizedActivity;
  streams: ActivityStreams;
}

/** What one delivery carried: the valid items, and the items that failed validation. */
export interface DeliveredStreamsBatch {
  items: DeliveredStreams[];
  /** Recorded in the webhook's `sync_history` row, never silently dropped. */
  rejected: ValidationError[];
}

/** The stored activity whose streams are asked for. */
export interface StreamsActivity {
  providerActivityId: string;
  startDate: Date;
  raw: JsonValue;
}

export type StreamsFetchResult =
  /** The provider's streams, normalized (`time` and `channels` aligned; `raw` without the sample arrays). */
  | { status: 'stored'; streams: ActivityStreams }
  /** The provider has no samples for the activity (a manual entry, or gone): remembered, not asked again. */
  | { status: 'none' }
  /** Asked for (push delivery): they arrive by webhook. */
  | { status: 'requested' };
