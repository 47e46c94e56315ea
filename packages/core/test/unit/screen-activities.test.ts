import { type ActivityBatch, createActivity, ValidationError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import { screenActivities } from '../../src/sync/screen-activities';

const good = createActivity({
  providerActivityId: '1',
  sportType: 'run',
  startDate: new Date('2026-01-01T07:00:00Z'),
  elapsedTimeS: 3600,
  distanceM: 10_000,
  raw: {},
});

describe('screenActivities', () => {
  it('keeps activities that fit the model and the columns', () => {
    const input: ActivityBatch = { activities: [good], rejected: [] };
    const batch = screenActivities('testfit', input);
    expect(batch.activities).toEqual([good]);
    expect(batch.rejected).toEqual([]);
  });

  it.each([
    ['elapsedTimeS', { elapsedTimeS: -1e308 }],
    ['movingTimeS', { movingTimeS: 2 ** 31 }],
    ['distanceM', { distanceM: -5 }],
    ['calories', { calories: Number.POSITIVE_INFINITY }],
    ['utcOffsetS', { utcOffsetS: 100 * 3600 }],
    ['startDate', { startDate: new Date(Number.NaN) }],
    ['sportType', { sportType: 'jogging' as never }],
  ])('rejects an activity whose %s does not fit, naming provider, item and field', (field, patch) => {
    const bad = { ...good, providerActivityId: '2', ...patch };
    const input: ActivityBatch = { activities: [good, bad], rejected: [], deletedIds: ['9'] };
    const batch = screenActivities('testfit', input);
    expect(batch.activities).toEqual([good]);
    expect(batch.deletedIds).toEqual(['9']);
    const [error] = batch.rejected;
    expect(ValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'testfit', itemId: '2', entity: 'activity' });
    expect(error?.issues.map((i) => i.path)).toEqual([field]);
  });
});
