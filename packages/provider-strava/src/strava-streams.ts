import {
  type ActivityRoute,
  type ActivityStreams,
  type ConnectionContext,
  createLap,
  type JsonValue,
  type NormalizedLap,
  type ProviderStreamsV1,
  type SampleChannels,
  type StreamsActivity,
  type StreamsFetchResult,
  ValidationError,
  validatePayload,
} from '@trainlytics/core';
import { z } from 'zod';
import { parseStravaJson, stravaIdSchema } from './strava-api';
import type { StravaSettings } from './strava-settings';

/**
 * Strava's activity streams and laps (ADR 0030), two requests per activity, the documented minimum:
 * `GET /activities/{id}/streams?keys=…&key_by_type=true` (a StreamSet: one object per stream type with
 * `data`, `series_type`, `original_size`, `resolution`; types the activity lacks are left out) and
 * `GET /activities/{id}/laps`. A 404 on either means the activity is gone or private: no streams.
 * https://developers.strava.com/docs/reference/#api-Streams-getActivityStreams
 */
export const STRAVA_STREAM_KEYS = [
  'time',
  'latlng',
  'distance',
  'altitude',
  'velocity_smooth',
  'heartrate',
  'cadence',
  'watts',
  'temp',
  'moving',
  'grade_smooth',
] as const;

/** Strava's stream type → the normalized channel. */
const CHANNEL_OF = {
  latlng: 'latlng',
  distance: 'distance',
  altitude: 'altitude',
  velocity_smooth: 'speed',
  heartrate: 'heartrate',
  cadence: 'cadence',
  watts: 'power',
  temp: 'temperature',
  moving: 'moving',
  grade_smooth: 'grade',
} as const satisfies Record<Exclude<(typeof STRAVA_STREAM_KEYS)[number], 'time'>, keyof SampleChannels>;

const numberOrNull = z.number().finite().nullable();
const streamMeta = {
  series_type: z.string().nullish(),
  original_size: z.number().nullish(),
  resolution: z.string().nullish(),
};
const numericStream = z.object({ ...streamMeta, data: z.array(numberOrNull) }).passthrough();

/** A StreamSet keyed by type (`key_by_type=true`). Unknown stream types are ignored. */
export const stravaStreamSetSchema = z
  .object({
    time: numericStream.optional(),
    latlng: z
      .object({
        ...streamMeta,
        data: z.array(z.tuple([z.number().finite(), z.number().finite()]).nullable()),
      })
      .passthrough()
      .optional(),
    distance: numericStream.optional(),
    altitude: numericStream.optional(),
    velocity_smooth: numericStream.optional(),
    heartrate: numericStream.optional(),
    cadence: numericStream.optional(),
    watts: numericStream.optional(),
    temp: numericStream.optional(),
    moving: z
      .object({ ...streamMeta, data: z.array(z.boolean().nullable()) })
      .passthrough()
      .optional(),
    grade_smooth: numericStream.optional(),
  })
  .passthrough();

const optionalNumber = z.number().nullish();

/** A Lap (`GET /activities/{id}/laps`). */
export const stravaLapSchema = z
  .object({
    id: stravaIdSchema.nullish(),
    elapsed_time: optionalNumber,
    moving_time: optionalNumber,
    start_date: z.string().nullish(),
    distance: optionalNumber,
    start_index: optionalNumber,
    average_speed: optionalNumber,
    average_heartrate: optionalNumber,
    max_heartrate: optionalNumber,
    average_cadence: optionalNumber,
    average_watts: optionalNumber,
  })
  .passthrough();

export const stravaLapsSchema = z.array(stravaLapSchema);

type StravaStreamSet = z.infer<typeof stravaStreamSetSchema>;
type StravaLap = z.infer<typeof stravaLapSchema>;

export function createStravaStreams(settings: StravaSettings): ProviderStreamsV1 {
  return {
    delivery: 'pull',
    requestsPerActivity: 2,
    async fetch(ctx: ConnectionContext, activity: StreamsActivity): Promise<StreamsFetchResult> {
      const id = encodeURIComponent(activity.providerActivityId);
      const streams = await ctx.http.request({
        url: `${settings.apiUrl()}/activities/${id}/streams`,
        query: { keys: STRAVA_STREAM_KEYS.join(','), key_by_type: true },
        auth: 'user',
        acceptStatuses: [404],
        operation: 'get activity streams',
        parse: parseStravaJson,
      });
      if (streams.status === 404) return { status: 'none' };
      const set = await validatePayload(stravaStreamSetSchema, streams.data ?? {}, {
        provider: 'strava',
        entity: 'activity streams',
        itemId: activity.providerActivityId,
      });
      if (!set.time || set.time.data.length === 0) return { status: 'none' };
      const laps = await ctx.http.request({
        url: `${settings.apiUrl()}/activities/${id}/laps`,
        auth: 'user',
        acceptStatuses: [404],
        operation: 'get activity laps',
        parse: parseStravaJson,
      });
      const lapList =
        laps.status === 404
          ? []
          : await validatePayload(stravaLapsSchema, laps.data ?? [], {
              provider: 'strava',
              entity: 'activity laps',
              itemId: activity.providerActivityId,
            });
      return { status: 'stored', streams: mapStravaStreams(activity, set, lapList) };
    },
  };
}

/** Normalizes a StreamSet and its laps. Throws `ValidationError` when streams differ in length. */
export function mapStravaStreams(
  activity: StreamsActivity,
  set: StravaStreamSet,
  laps: StravaLap[],
): ActivityStreams {
  const time = (set.time?.data ?? []).map((t, i) => {
    if (t === null) throw malformed(activity, `time[${i}] is null`);
    return t;
  });
  const channels: SampleChannels = {};
  const meta: Record<string, JsonValue> = {};
  for (const key of STRAVA_STREAM_KEYS) {
    const stream = set[key];
    if (!stream) continue;
    const { data, ...rest } = stream;
    meta[key] = rest as JsonValue;
    if (data.length !== time.length) {
      throw malformed(activity, `the ${key} stream has ${data.length} samples but time has ${time.length}`);
    }
    if (key !== 'time') (channels as Record<string, unknown>)[CHANNEL_OF[key]] = data;
  }
  return {
    time,
    channels,
    laps: laps.map((lap) => mapStravaLap(activity, lap, time)),
    route: summaryRoute(activity.raw),
    raw: { streams: meta, laps: laps as JsonValue[] } as JsonValue,
  };
}

function mapStravaLap(activity: StreamsActivity, lap: StravaLap, time: number[]): NormalizedLap {
  const byIndex = typeof lap.start_index === 'number' ? time[lap.start_index] : undefined;
  const byDate = lap.start_date
    ? Math.round((Date.parse(lap.start_date) - activity.startDate.getTime()) / 1000)
    : 0;
  return createLap({
    startOffsetS: byIndex ?? byDate,
    elapsedTimeS: lap.elapsed_time ?? null,
    movingTimeS: lap.moving_time ?? null,
    distanceM: lap.distance ?? null,
    averageSpeedMps: lap.average_speed ?? null,
    averageHeartrate: lap.average_heartrate ?? null,
    maxHeartrate: lap.max_heartrate ?? null,
    averageCadence: lap.average_cadence ?? null,
    averagePower: lap.average_watts ?? null,
  });
}

/** The stored summary's `map.polyline` (a detail) or `map.summary_polyline`, when it has one. */
export function summaryRoute(raw: JsonValue): ActivityRoute | null {
  const map = raw && typeof raw === 'object' && !Array.isArray(raw) ? raw.map : null;
  if (!map || typeof map !== 'object' || Array.isArray(map)) return null;
  if (typeof map.polyline === 'string' && map.polyline) return { polyline: map.polyline, resolution: 'full' };
  if (typeof map.summary_polyline === 'string' && map.summary_polyline) {
    return { polyline: map.summary_polyline, resolution: 'summary' };
  }
  return null;
}

function malformed(activity: StreamsActivity, why: string): ValidationError {
  return new ValidationError(`strava activity streams ${activity.providerActivityId} is malformed: ${why}`, {
    provider: 'strava',
    entity: 'activity streams',
    itemId: activity.providerActivityId,
    issues: [{ path: '', message: why }],
  });
}
