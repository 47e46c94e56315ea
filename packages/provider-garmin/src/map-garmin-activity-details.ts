import {
  type ActivityStreams,
  createLap,
  type DeliveredStreams,
  type DeliveredStreamsBatch,
  encodePolyline,
  fromEpochSeconds,
  type JsonValue,
  type NormalizedLap,
  type SampleChannels,
  ValidationError,
  validatePayload,
} from '@trainlytics/core';
import { type GarminActivityDetail, garminActivityDetailSchema } from './garmin-api';
import { foreignUserError, garminRawPayload, mapGarminActivity } from './map-garmin-activity';

const PROVIDER = 'garmin';
const DETAIL_SUFFIX = '-detail';

/** The numeric sample fields the channels are read from. */
type NumericField =
  | 'totalDistanceInMeters'
  | 'elevationInMeters'
  | 'speedMetersPerSecond'
  | 'heartRate'
  | 'powerInWatts'
  | 'airTemperatureCelcius'
  | 'bikeCadenceInRPM'
  | 'stepsPerMinute'
  | 'swimCadenceInStrokesPerMinute'
  | 'directWheelchairCadence';

/** Garmin's sample field → the normalized channel (units are already the model's). */
const NUMERIC_CHANNELS = [
  ['totalDistanceInMeters', 'distance'],
  ['elevationInMeters', 'altitude'],
  ['speedMetersPerSecond', 'speed'],
  ['heartRate', 'heartrate'],
  ['powerInWatts', 'power'],
  ['airTemperatureCelcius', 'temperature'],
] as const satisfies ReadonlyArray<readonly [NumericField, keyof SampleChannels]>;

/**
 * The cadence fields, by sport; an activity's cadence channel is the first of them any sample has (a
 * ride's `bikeCadenceInRPM`, a run's `stepsPerMinute`, …): one activity never mixes two cadences.
 */
const CADENCE_FIELDS = [
  'bikeCadenceInRPM',
  'stepsPerMinute',
  'swimCadenceInStrokesPerMinute',
  'directWheelchairCadence',
] as const satisfies readonly NumericField[];

/**
 * The stored activity's provider id: the activity summary's `summaryId`, which Garmin's Activity Details
 * `summaryId` carries with `-detail` appended (`5001968355-detail`); without the suffix, the `activityId`.
 */
export function garminDetailActivityId(detail: Pick<GarminActivityDetail, 'summaryId' | 'activityId'>) {
  if (detail.summaryId.endsWith(DETAIL_SUFFIX) && detail.summaryId.length > DETAIL_SUFFIX.length) {
    return detail.summaryId.slice(0, -DETAIL_SUFFIX.length);
  }
  return detail.activityId === null || detail.activityId === undefined
    ? detail.summaryId
    : String(detail.activityId);
}

const has = (value: number | null | undefined): value is number => typeof value === 'number';

/**
 * Normalizes one Activity Details summary into `ActivityStreams`:
 * - `time`: seconds from the summary's `startTimeInSeconds`, samples in time order (a timer pause is a
 *   jump; nothing is filled in);
 * - a channel exists when at least one sample has its field, `null` where a sample lacks it; `latlng`
 *   needs both coordinates; `moving` is whether `movingDurationInSeconds` grew since the previous sample
 *   (null for the first sample and where either is missing);
 * - laps start at each `laps[].startTimeInSeconds` and last until the next one (the last until the
 *   summary's end, `durationInSeconds`, or the last sample); Garmin reports nothing else per lap;
 * - `route` is the samples' positions as an encoded polyline (`full`), null without GPS;
 * - `raw` is the payload without `samples` (and without the notification's `userAccessToken`).
 */
export function mapGarminActivityDetailStreams(detail: GarminActivityDetail, raw: unknown): ActivityStreams {
  const start = detail.summary.startTimeInSeconds;
  const samples = [...(detail.samples ?? [])].sort((a, b) => a.startTimeInSeconds - b.startTimeInSeconds);
  const time = samples.map((s) => s.startTimeInSeconds - start);
  const channels: SampleChannels = {};
  if (samples.some((s) => has(s.latitudeInDegree) && has(s.longitudeInDegree))) {
    channels.latlng = samples.map((s) =>
      has(s.latitudeInDegree) && has(s.longitudeInDegree)
        ? ([s.latitudeInDegree, s.longitudeInDegree] as const)
        : null,
    );
  }
  const column = (field: NumericField): Array<number | null> | undefined =>
    samples.some((s) => has(s[field])) ? samples.map((s) => s[field] ?? null) : undefined;
  for (const [field, channel] of NUMERIC_CHANNELS) {
    const values = column(field);
    if (values) channels[channel] = values;
  }
  for (const field of CADENCE_FIELDS) {
    const values = column(field);
    if (values) {
      channels.cadence = values;
      break;
    }
  }
  if (samples.some((s) => has(s.movingDurationInSeconds))) {
    channels.moving = samples.map((s, i) => {
      const before = i === 0 ? undefined : samples[i - 1]?.movingDurationInSeconds;
      return has(before) && has(s.movingDurationInSeconds) ? s.movingDurationInSeconds > before : null;
    });
  }
  const lastTime = time.length > 0 ? (time[time.length - 1] as number) : 0;
  const end = has(detail.summary.durationInSeconds) ? detail.summary.durationInSeconds : lastTime;
  return {
    time,
    channels,
    laps: mapLaps(detail, start, end),
    route: channels.latlng ? routeOf(channels.latlng) : null,
    raw: withoutSamples(raw),
  };
}

function mapLaps(detail: GarminActivityDetail, start: number, end: number): NormalizedLap[] {
  const starts = (detail.laps ?? []).map((lap) => lap.startTimeInSeconds - start).sort((a, b) => a - b);
  return starts.map((offset, i) => {
    const next = starts[i + 1] ?? Math.max(end, offset);
    return createLap({ startOffsetS: offset, elapsedTimeS: next - offset });
  });
}

function routeOf(latlng: NonNullable<SampleChannels['latlng']>): ActivityStreams['route'] {
  const points = latlng.filter((p): p is readonly [number, number] => p !== null);
  return points.length === 0 ? null : { polyline: encodePolyline(points), resolution: 'full' };
}

function withoutSamples(raw: unknown): JsonValue {
  const payload = garminRawPayload(raw);
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const { samples: _samples, ...rest } = payload;
  return rest;
}

/**
 * One Activity Details summary as delivered: its streams, and the activity its `summary` describes
 * (stored only when the activity summary has not arrived yet; `detail: 'summary'`, so the real summary
 * replaces it).
 */
export function mapGarminActivityDetail(detail: GarminActivityDetail, raw: unknown): DeliveredStreams {
  const providerActivityId = garminDetailActivityId(detail);
  const activityId = detail.activityId ?? detail.summary.activityId ?? null;
  const summaryRaw = garminRawPayload({
    ...(raw as { summary: Record<string, JsonValue> }).summary,
    summaryId: providerActivityId,
    ...(activityId === null ? {} : { activityId }),
    ...(detail.userId ? { userId: detail.userId } : {}),
  });
  const activity = mapGarminActivity(
    { ...detail.summary, summaryId: providerActivityId, activityId, userId: detail.userId ?? null },
    summaryRaw,
  );
  return {
    providerActivityId,
    startDate: fromEpochSeconds(detail.summary.startTimeInSeconds),
    activity: { ...activity, detail: 'summary' },
    streams: mapGarminActivityDetailStreams(detail, raw),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Validates and maps a list of Activity Details (a push, a ping's callback). A malformed item, or one of
 * another Garmin user than `expectedUserId`, is rejected (named by its `summaryId`); a multisport parent's
 * (`summary.isParent`) is left out, as its summary is; the others are mapped.
 */
export async function mapGarminActivityDetails(
  items: readonly unknown[],
  options: { expectedUserId?: string | null } = {},
): Promise<DeliveredStreamsBatch> {
  const batch: DeliveredStreamsBatch = { items: [], rejected: [] };
  for (const item of items) {
    const foreign = foreignUserError(item, options.expectedUserId, 'activity details');
    if (foreign) {
      batch.rejected.push(foreign);
      continue;
    }
    const id = isRecord(item)
      ? [item.summaryId, item.activityId].find((v) => typeof v === 'string' || typeof v === 'number')
      : undefined;
    const itemId = id === undefined ? undefined : String(id);
    try {
      const detail = await validatePayload(garminActivityDetailSchema, item, {
        provider: PROVIDER,
        entity: 'activity details',
        ...(itemId === undefined ? {} : { itemId }),
      });
      // a multisport parent is not stored (its legs are, ADR 0015 / map-garmin-activity.ts): its samples
      // repeat the legs', so they are left out rather than stored under a parent activity
      if (detail.summary.isParent === true) continue;
      batch.items.push(mapGarminActivityDetail(detail, item));
    } catch (error) {
      if (!ValidationError.isInstance(error)) throw error;
      batch.rejected.push(error);
    }
  }
  return batch;
}
