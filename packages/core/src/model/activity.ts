import type { JsonValue } from './json';
import type { SportType } from './sport-type';

/**
 * One activity in the normalized model: what a plugin's mapping produces and what lands in `activities`.
 * Metrics a provider does not report are `null`, never `0`.
 */
export interface NormalizedActivity {
  /** The provider's id of the activity, as a string (Strava ids exceed 2^53). Unique per provider. */
  providerActivityId: string;
  name: string | null;
  sportType: SportType;
  /** The provider's own sport name (`TrailRun`, `TRAIL_RUNNING`, …). */
  providerSportType: string | null;
  /** The start as a UTC instant. */
  startDate: Date;
  /** The wall-clock start where the activity took place, `YYYY-MM-DDTHH:mm:ss` (no zone). */
  startDateLocal: string | null;
  /** Offset of the local time from UTC, in seconds (`startDateLocal` = `startDate` + offset). */
  utcOffsetS: number | null;
  elapsedTimeS: number | null;
  movingTimeS: number | null;
  distanceM: number | null;
  totalElevationGainM: number | null;
  averageHeartrate: number | null;
  maxHeartrate: number | null;
  calories: number | null;
  averageSpeedMps: number | null;
  maxSpeedMps: number | null;
  isManual: boolean;
  deviceName: string | null;
  /** The provider's payload, as received (validated, not rewritten). */
  raw: JsonValue;
}

/** Builds a `NormalizedActivity` with every optional metric defaulting to `null`. */
export function createActivity(
  fields: Pick<NormalizedActivity, 'providerActivityId' | 'sportType' | 'startDate' | 'raw'> &
    Partial<NormalizedActivity>,
): NormalizedActivity {
  return {
    name: null,
    providerSportType: null,
    startDateLocal: null,
    utcOffsetS: null,
    elapsedTimeS: null,
    movingTimeS: null,
    distanceM: null,
    totalElevationGainM: null,
    averageHeartrate: null,
    maxHeartrate: null,
    calories: null,
    averageSpeedMps: null,
    maxSpeedMps: null,
    isManual: false,
    deviceName: null,
    ...fields,
  };
}
