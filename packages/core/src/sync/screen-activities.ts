import { ValidationError, type ValidationIssue } from '../errors/errors';
import type { NormalizedActivity } from '../model/activity';
import { isSportType } from '../model/sport-type';
import type { ActivityBatch } from '../provider/v1/activities';

const INT_MAX = 2_147_483_647;
const EARLIEST = Date.UTC(1900, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

const durations = ['elapsedTimeS', 'movingTimeS'] as const;
const measures = [
  'distanceM',
  'totalElevationGainM',
  'averageHeartrate',
  'maxHeartrate',
  'calories',
  'averageSpeedMps',
  'maxSpeedMps',
] as const;

/**
 * What a plugin mapped must fit the model and its columns before it is written: a valid start date, a
 * vocabulary sport type, durations as non-negative integers that fit `int`, measures finite and non-negative.
 * Returns the problems (empty when the activity is fine).
 */
export function activityIssues(activity: NormalizedActivity): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof activity.providerActivityId !== 'string' || activity.providerActivityId.length === 0) {
    issues.push({ path: 'providerActivityId', message: 'expected a non-empty string' });
  }
  const start = activity.startDate instanceof Date ? activity.startDate.getTime() : Number.NaN;
  if (!(start >= EARLIEST && start < LATEST)) {
    issues.push({ path: 'startDate', message: 'expected a date between 1900 and 2200' });
  }
  if (!isSportType(activity.sportType)) {
    issues.push({
      path: 'sportType',
      message: `"${String(activity.sportType)}" is not a normalized sport type`,
    });
  }
  for (const key of durations) {
    const v = activity[key];
    if (v !== null && !(Number.isInteger(v) && v >= 0 && v <= INT_MAX)) {
      issues.push({ path: key, message: `expected whole seconds from 0 to ${INT_MAX}, got ${v}` });
    }
  }
  const offset = activity.utcOffsetS;
  if (offset !== null && !(Number.isInteger(offset) && Math.abs(offset) <= 18 * 3600)) {
    issues.push({ path: 'utcOffsetS', message: `expected whole seconds within ±18 h, got ${offset}` });
  }
  for (const key of measures) {
    const v = activity[key];
    if (v !== null && !(Number.isFinite(v) && v >= 0)) {
      issues.push({ path: key, message: `expected a finite, non-negative number, got ${v}` });
    }
  }
  return issues;
}

/**
 * Moves every activity that does not fit the model (see `activityIssues`) from the batch's activities to its
 * rejections, with a `ValidationError` naming the provider, the item and the fields. Nothing wrong is written.
 */
export function screenActivities<T extends ActivityBatch>(providerId: string, batch: T): T {
  const kept: NormalizedActivity[] = [];
  const rejected = [...batch.rejected];
  for (const activity of batch.activities) {
    const issues = activityIssues(activity);
    if (issues.length === 0) {
      kept.push(activity);
      continue;
    }
    const fields = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    rejected.push(
      new ValidationError(
        `${providerId} activity ${activity.providerActivityId} does not fit the model: ${fields}`,
        {
          provider: providerId,
          entity: 'activity',
          itemId: activity.providerActivityId,
          issues,
        },
      ),
    );
  }
  return { ...batch, activities: kept, rejected };
}
