import {
  createActivity,
  finiteOrNull,
  type JsonValue,
  type NormalizedActivity,
  parseLocalDateTime,
  type SportType,
  toLocalDateTimeString,
  ValidationError,
} from '@trainlytics/core';
import { exactActivityId, type StravaActivity } from './strava-api';
import { mapStravaSportType } from './strava-sport-types';

/** Sports whose indoor variant (`trainer: true`) has its own normalized name. */
const indoorVariants: Partial<Record<SportType, SportType>> = {
  ride: 'indoor_ride',
  run: 'treadmill_run',
  rowing: 'indoor_rowing',
};

/**
 * Maps a Strava SummaryActivity or DetailedActivity to the normalized model.
 *
 * - `sport_type` wins; the deprecated `type` is used when it is absent; unknown names map to `other`
 *   (the Strava name is kept in `providerSportType`); a `Ride`/`Run`/`Rowing` on a trainer is indoor.
 * - `start_date` is the UTC instant. `start_date_local` is wall-clock time whose trailing `Z` is not UTC:
 *   it is read as a zone-less local time, and `utc_offset` is kept as `utcOffsetS`.
 * - Ids are strings (they exceed 2^53); heart rate is null when Strava has none (`has_heartrate: false`
 *   or the fields absent); `calories` and `device_name` only come with the detailed activity.
 * - `detail` is `'detail'` for a DetailedActivity (`resource_state` 3), else `'summary'`: the store then
 *   never clears calories or device a webhook's detail gave when the next listing lacks them.
 */
export function mapStravaActivity(activity: StravaActivity, raw: unknown): NormalizedActivity {
  const id = exactActivityId(activity);
  if (id === null) {
    throw new ValidationError(
      `strava activity ${String(activity.id)} has an id beyond 2^53 that was rounded when parsed and cannot be recovered`,
      {
        provider: 'strava',
        entity: 'activity',
        itemId: String(activity.id),
        issues: [{ path: 'id', message: 'integer beyond 2^53 without a matching map.id' }],
        hint: 'parse Strava bodies with parseStravaJson so int64 ids stay exact',
      },
    );
  }
  const providerSportType = activity.sport_type || activity.type || null;
  let sportType = mapStravaSportType(providerSportType);
  if (activity.trainer) sportType = indoorVariants[sportType] ?? sportType;

  const startDate = new Date(activity.start_date);
  const utcOffsetS = finiteOrNull(activity.utc_offset);
  const startDateLocal =
    parseLocalDateTime(activity.start_date_local) ??
    (utcOffsetS === null ? null : toLocalDateTimeString(startDate, utcOffsetS));
  const hasHeartrate = activity.has_heartrate !== false;

  return createActivity({
    providerActivityId: id,
    name: activity.name ?? null,
    sportType,
    providerSportType,
    startDate,
    startDateLocal,
    utcOffsetS,
    elapsedTimeS: finiteOrNull(activity.elapsed_time),
    movingTimeS: finiteOrNull(activity.moving_time),
    distanceM: finiteOrNull(activity.distance),
    totalElevationGainM: finiteOrNull(activity.total_elevation_gain),
    averageHeartrate: hasHeartrate ? finiteOrNull(activity.average_heartrate) : null,
    maxHeartrate: hasHeartrate ? finiteOrNull(activity.max_heartrate) : null,
    calories: finiteOrNull(activity.calories),
    averageSpeedMps: finiteOrNull(activity.average_speed),
    maxSpeedMps: finiteOrNull(activity.max_speed),
    isManual: activity.manual === true,
    deviceName: activity.device_name || null,
    raw: rawWithExactId(raw, id),
    // the listing's SummaryActivity (resource_state 2) has no calories, device or description
    detail: activity.resource_state === 3 ? 'detail' : 'summary',
  });
}

/** The payload as received; an id that `JSON.parse` rounded is replaced by its exact digits. */
function rawWithExactId(raw: unknown, id: string): JsonValue {
  const value = raw as { [key: string]: JsonValue };
  if (typeof value.id === 'number' && !Number.isSafeInteger(value.id)) return { ...value, id };
  return value;
}
