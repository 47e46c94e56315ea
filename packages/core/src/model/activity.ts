import type { JsonValue } from './json';
import type { SportType } from './sport-type';

/**
 * How complete the record a plugin mapped is (optional in `ProviderV1`; stored by migration 011):
 * - `'summary'`: an abbreviated form, e.g. a listing, that may lack fields the provider's complete record
 *   has (Strava's `GET /athlete/activities` has no calories or device);
 * - `'detail'`: the provider's complete record of the activity (Strava's `GET /activities/{id}`).
 *
 * The store merges by it (docs/decisions/0015-activity-merge-semantics.md): a summary never clears a value
 * a detail gave (its absent fields keep the stored values, its present ones win as the later edit, `raw`
 * keeps the detail's payload); a detail, or a summary over a summary, replaces the row, nulls included.
 * A plugin whose every record is complete (Garmin's activity summaries, Polar's exercises) says `'detail'`.
 */
export type ActivityDetail = 'summary' | 'detail';

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
  /**
   * The provider's payload, as received (validated, not rewritten). Integers beyond 2^53 are kept exact as
   * digit strings (parse bodies with `parseJsonExact`), never rounded.
   */
  raw: JsonValue;
  /** How complete this record is ({@link ActivityDetail}); absent means `'detail'` (replaces the row). */
  detail?: ActivityDetail;
}

/** Builds a `NormalizedActivity` with every optional metric defaulting to `null` and `detail` to `'detail'`. */
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
    detail: 'detail',
    ...fields,
  };
}
