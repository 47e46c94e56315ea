import {
  type ActivityBatch,
  createActivity,
  finiteOrNull,
  fromEpochSeconds,
  type JsonValue,
  mapActivityItems,
  type NormalizedActivity,
  toLocalDateTimeString,
  ValidationError,
} from '@trainlytics/core';
import { type GarminActivitySummary, garminActivitySummarySchema } from './garmin-api';
import { mapGarminSportType } from './garmin-sport-types';

const PROVIDER = 'garmin';

/** Keys that carry credentials in notifications: never stored in `raw`. */
const SECRET_KEYS = new Set(['userAccessToken', 'accessToken', 'token']);

/** The payload as received, minus the notification's `userAccessToken`. */
export function garminRawPayload(raw: unknown): JsonValue {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw as JsonValue;
  const out: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(raw as Record<string, JsonValue>)) {
    if (!SECRET_KEYS.has(key)) out[key] = value;
  }
  return out;
}

const integerOrNull = (value: number | null | undefined) => {
  const n = finiteOrNull(value);
  return n === null ? null : Math.round(n);
};

/**
 * Maps one Garmin activity summary. `startTimeInSeconds` is UTC epoch seconds; `startTimeOffsetInSeconds`
 * is the device's offset at the start (not a time zone). The summary has no moving time, so it stays null.
 */
export function mapGarminActivity(
  summary: GarminActivitySummary,
  raw: unknown,
  options: { parentName?: string | null } = {},
): NormalizedActivity {
  const startDate = fromEpochSeconds(summary.startTimeInSeconds);
  const offset = summary.startTimeOffsetInSeconds ?? null;
  return createActivity({
    providerActivityId: summary.summaryId,
    name: summary.activityName ?? options.parentName ?? null,
    sportType: mapGarminSportType(summary.activityType),
    providerSportType: summary.activityType ?? null,
    startDate,
    startDateLocal: offset === null ? null : toLocalDateTimeString(startDate, offset),
    utcOffsetS: offset,
    elapsedTimeS: integerOrNull(summary.durationInSeconds),
    movingTimeS: null,
    distanceM: finiteOrNull(summary.distanceInMeters),
    totalElevationGainM: finiteOrNull(summary.totalElevationGainInMeters),
    averageHeartrate: finiteOrNull(summary.averageHeartRateInBeatsPerMinute),
    maxHeartrate: finiteOrNull(summary.maxHeartRateInBeatsPerMinute),
    calories: finiteOrNull(summary.activeKilocalories),
    averageSpeedMps: finiteOrNull(summary.averageSpeedInMetersPerSecond),
    maxSpeedMps: finiteOrNull(summary.maxSpeedInMetersPerSecond),
    isManual: summary.manual === true,
    deviceName: summary.deviceName ?? null,
    raw: garminRawPayload(raw),
    // pulled, pushed or fetched for a ping, a summary is Garmin's complete record of the activity
    detail: 'detail',
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A `ValidationError` for an item of another Garmin user than `expectedUserId` (null when it is not one),
 * named as the validator names items (a string or number `summaryId`, else `activityId`), so a malformed
 * `summaryId` (`[]`) does not make the rejection name no item.
 */
export function foreignUserError(
  item: unknown,
  expectedUserId: string | null | undefined,
  entity: string,
): ValidationError | null {
  const owner = isRecord(item) && typeof item.userId === 'string' ? item.userId : null;
  if (!expectedUserId || owner === null || owner === expectedUserId) return null;
  const itemId = (isRecord(item) ? [item.summaryId, item.activityId] : [])
    .find((v) => typeof v === 'string' || typeof v === 'number')
    ?.toString();
  return new ValidationError(
    `garmin ${entity}${itemId ? ` ${itemId}` : ''} belongs to Garmin user ${owner}, not to this connection's user ${expectedUserId}: not stored`,
    {
      provider: PROVIDER,
      entity,
      ...(itemId === undefined ? {} : { itemId }),
      issues: [{ path: 'userId', message: `expected ${expectedUserId}, got ${owner}` }],
    },
  );
}

/**
 * Validates and maps a list of summaries (a pull response, a push notification, a ping's callback).
 *
 * - Each item is validated on its own: a malformed one is rejected (provider, `summaryId`, field), the rest
 *   are mapped.
 * - Multisport: the parent (`isParent: true`) is not stored, its legs are (each with its own sport, the
 *   parent's `summaryId` kept in `raw.parentSummaryId`), as Garmin Connect exports them; storing both would
 *   count the distance and time twice. A leg without a name takes its parent's.
 * - With `expectedUserId`, an item of another Garmin user is rejected rather than stored under this one.
 */
export async function mapGarminSummaries(
  items: readonly unknown[],
  options: { expectedUserId?: string | null } = {},
): Promise<ActivityBatch> {
  const parentNames = new Map<string, string | null>();
  const leaves: unknown[] = [];
  const foreign: ValidationError[] = [];
  for (const item of items) {
    if (isRecord(item) && item.isParent === true) {
      if (item.summaryId !== undefined) {
        parentNames.set(
          String(item.summaryId),
          typeof item.activityName === 'string' ? item.activityName : null,
        );
      }
      continue;
    }
    const foreignItem = foreignUserError(item, options.expectedUserId, 'activity');
    if (foreignItem) {
      foreign.push(foreignItem);
      continue;
    }
    leaves.push(item);
  }
  const batch = await mapActivityItems(leaves, {
    provider: PROVIDER,
    schema: garminActivitySummarySchema,
    idKeys: ['summaryId', 'activityId'],
    map: (summary, raw) =>
      mapGarminActivity(summary, raw, {
        parentName:
          summary.parentSummaryId === undefined || summary.parentSummaryId === null
            ? null
            : (parentNames.get(String(summary.parentSummaryId)) ?? null),
      }),
  });
  batch.rejected.push(...foreign);
  return batch;
}
