import {
  type ConnectionContext,
  type DeliveredStreamsBatch,
  type JsonValue,
  type ProviderStreamsV1,
  type StreamsActivity,
  type StreamsFetchResult,
  toEpochSeconds,
} from '@trainlytics/core';
import { type GarminSettings, HISTORICAL_DATA_EXPORT } from './garmin-settings';
import { fetchGarminCallback, withPermission } from './garmin-sync';
import { mapGarminActivityDetails } from './map-garmin-activity-details';

/** Garmin keeps no Activity Details for activities longer than 24 hours. */
export const MAX_DETAIL_DURATION_S = 86_400;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Garmin's Activity Details (samples and laps) as the streams capability (ADR 0033), delivered by push:
 * there is no per-activity endpoint, so `fetch` requests a backfill of `activityDetails` for the seconds
 * around the activity's start (`GET /backfill/activityDetails?summaryStartTimeInSeconds=…&
 * summaryEndTimeInSeconds=…`, 202, or 409 for a range already requested) and answers `requested`: Garmin
 * then pushes (or pings) `activityDetails`, which the webhook turns into an `activity.streams` event.
 * One request per activity. A manual activity, or one over 24 hours, has no details: `none`, no request.
 */
export function createGarminStreams(settings: GarminSettings): ProviderStreamsV1 {
  return {
    delivery: 'push',
    requestsPerActivity: 1,
    async fetch(ctx: ConnectionContext, activity: StreamsActivity): Promise<StreamsFetchResult> {
      const raw = isRecord(activity.raw) ? activity.raw : {};
      const duration = typeof raw.durationInSeconds === 'number' ? raw.durationInSeconds : 0;
      if (raw.manual === true || duration > MAX_DETAIL_DURATION_S) return { status: 'none' };
      const start = toEpochSeconds(activity.startDate);
      await withPermission(
        ctx,
        HISTORICAL_DATA_EXPORT,
        () =>
          ctx.http.request({
            url: `${settings.apiUrl()}/backfill/activityDetails`,
            // a second on each side: the activity's start second is inside whatever Garmin's bounds are
            query: { summaryStartTimeInSeconds: start - 1, summaryEndTimeInSeconds: start + 1 },
            auth: 'user',
            operation: 'activity details backfill request',
            acceptStatuses: [409],
          }),
        false,
      );
      return { status: 'requested' };
    },
    async fetchDelivered(ctx: ConnectionContext, ref: JsonValue): Promise<DeliveredStreamsBatch> {
      const items = await fetchGarminCallback(settings, ctx, ref, 'activity details ping callback');
      return mapGarminActivityDetails(items, { expectedUserId: ctx.connection.providerUserId });
    },
  };
}
