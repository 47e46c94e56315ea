import {
  createActivity,
  finiteOrNull,
  type JsonValue,
  localDateTimeToUtc,
  type NormalizedActivity,
  parseIsoDuration,
  parseLocalDateTime,
} from '@trainlytics/core';
import type { PolarExercise } from './polar-api';
import { mapPolarSportType } from './polar-sport-types';

/** `TRAIL_RUNNING` → `Trail running`: Polar exercises have no title, so the sport names them. */
function sportLabel(value: string | null | undefined): string | null {
  if (!value) return null;
  const words = value.toLowerCase().replaceAll('_', ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : null;
}

/**
 * Maps a validated Polar exercise (either casing, normalized by the schema) to the normalized model.
 *
 * - `start_time` is local wall-clock time with `start_time_utc_offset` in **minutes**: the UTC instant is the
 *   local time minus the offset.
 * - `duration` is an ISO-8601 duration with fractional seconds (`PT1H2M3.5S`), rounded to whole seconds.
 * - Distance and heart rate are absent without GPS/stride sensor or HR strap: they stay null.
 * - Polar reports no moving time or speed; the average speed is derived from distance and duration.
 */
export function mapPolarActivity(exercise: PolarExercise, raw: unknown): NormalizedActivity {
  const startDateLocal = parseLocalDateTime(exercise.start_time);
  if (!startDateLocal) throw new Error(`start_time "${exercise.start_time}" is not a local date-time`);
  const offsetS = exercise.start_time_utc_offset * 60;
  const durationS = parseIsoDuration(exercise.duration);
  if (durationS === null || durationS < 0) {
    throw new Error(`duration "${exercise.duration}" is not an ISO-8601 duration`);
  }
  const elapsed = Math.round(durationS);
  const distance = finiteOrNull(exercise.distance);
  const providerSportType = exercise.detailed_sport_info ?? exercise.sport ?? null;
  return createActivity({
    providerActivityId: exercise.id,
    name: sportLabel(providerSportType),
    sportType: mapPolarSportType(exercise.detailed_sport_info, exercise.sport),
    providerSportType,
    startDate: localDateTimeToUtc(startDateLocal, offsetS),
    startDateLocal,
    utcOffsetS: offsetS,
    elapsedTimeS: elapsed,
    distanceM: distance,
    averageHeartrate: finiteOrNull(exercise.heart_rate?.average),
    maxHeartrate: finiteOrNull(exercise.heart_rate?.maximum),
    calories: finiteOrNull(exercise.calories),
    averageSpeedMps: distance !== null && durationS > 0 ? distance / durationS : null,
    deviceName: exercise.device ?? null,
    raw: raw as JsonValue,
    // listed or fetched one by one, an exercise is the same complete record
    detail: 'detail',
  });
}
