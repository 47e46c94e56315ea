import { SPORT_TYPES, ValidationError } from '@trainlytics/core';
import { describeSportTypeCoverage } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import pullActivities from '../src/__fixtures__/pull-activities.json';
import pushActivities from '../src/__fixtures__/push-activities.json';
import pushMultisport from '../src/__fixtures__/push-multisport.json';
import {
  GARMIN_DOCUMENTED_ACTIVITY_TYPES,
  GARMIN_OTHER_ACTIVITY_TYPES,
  GARMIN_SPORT_TYPES,
  mapGarminSportType,
} from '../src/garmin-sport-types';
import { garminRawPayload, mapGarminSummaries } from '../src/map-garmin-activity';
import { mapGarminProfile } from '../src/map-garmin-profile';

const USER = '4aacafe82427c251df9c9592d0c06768';

describe('mapGarminSummaries on a push notification', () => {
  it('maps an outdoor run with every metric', async () => {
    const batch = await mapGarminSummaries(pushActivities.activities, { expectedUserId: USER });
    expect(batch.rejected).toEqual([]);
    const run = batch.activities[0]!;
    expect(run).toMatchObject({
      providerActivityId: '5001968355',
      name: 'Olathe Running',
      sportType: 'run',
      providerSportType: 'RUNNING',
      startDateLocal: '2016-01-10T18:00:00',
      utcOffsetS: -21600,
      elapsedTimeS: 3600,
      movingTimeS: null,
      distanceM: 10012.5,
      totalElevationGainM: 84.2,
      averageHeartrate: 144,
      maxHeartrate: 172,
      calories: 612,
      averageSpeedMps: 2.781,
      maxSpeedMps: 4.012,
      isManual: false,
      deviceName: 'Forerunner 910XT',
    });
    expect(run.startDate.toISOString()).toBe('2016-01-11T00:00:00.000Z');
  });

  it('maps an indoor activity without distance, speed or GPS to nulls, not zeros', async () => {
    const batch = await mapGarminSummaries(pushActivities.activities, { expectedUserId: USER });
    const indoor = batch.activities[1]!;
    expect(indoor).toMatchObject({
      providerActivityId: '5001968400',
      sportType: 'indoor_ride',
      providerSportType: 'INDOOR_CYCLING',
      distanceM: null,
      averageSpeedMps: null,
      maxSpeedMps: null,
      totalElevationGainM: null,
      averageHeartrate: 131,
      calories: 402,
      startDateLocal: '2016-01-11T18:00:00',
    });
  });

  it('keeps the raw payload but never the userAccessToken', async () => {
    const batch = await mapGarminSummaries(pushActivities.activities, { expectedUserId: USER });
    const raw = batch.activities[0]!.raw as Record<string, unknown>;
    expect(raw.userAccessToken).toBeUndefined();
    expect(raw.averageRunCadenceInStepsPerMinute).toBe(168);
    expect(raw.activityDescription).toBe('Tempo run');
    expect(JSON.stringify(batch.activities)).not.toContain('8f57a6f1-26ba-4b05-a7cd-c6b525a4c7a2');
  });
});

describe('multisport', () => {
  it('stores the legs, not the parent, and names an unnamed leg after its parent', async () => {
    const batch = await mapGarminSummaries(pushMultisport.activities, { expectedUserId: USER });
    expect(batch.rejected).toEqual([]);
    expect(batch.activities.map((a) => a.providerActivityId)).toEqual([
      '7304567811',
      '7304567812',
      '7304567813',
    ]);
    expect(batch.activities.map((a) => a.sportType)).toEqual(['open_water_swim', 'ride', 'run']);
    expect(batch.activities[0]!.name).toBe('Lake Triathlon');
    expect(batch.activities[1]!.name).toBe('Lake Triathlon - Bike');
    expect((batch.activities[2]!.raw as Record<string, unknown>).parentSummaryId).toBe('7304567810');
    expect(batch.activities[0]!.startDateLocal).toBe('2023-07-03T09:00:00');
    const legDistance = batch.activities.reduce((sum, a) => sum + (a.distanceM ?? 0), 0);
    expect(legDistance).toBe(51500);
  });
});

describe('a pull response with edge cases', () => {
  it('maps manual and older-name items, rejects a malformed item and another user’s item, keeps the rest', async () => {
    const batch = await mapGarminSummaries(pullActivities, { expectedUserId: USER });
    expect(batch.activities.map((a) => a.providerActivityId)).toEqual([
      '5002000001',
      '5002000002',
      '5002000005',
    ]);

    const manual = batch.activities[0]!;
    expect(manual).toMatchObject({
      isManual: true,
      deviceName: null,
      sportType: 'strength_training',
      elapsedTimeS: 2400,
      startDateLocal: '2016-01-12T13:00:00',
    });

    const unknown = batch.activities[1]!;
    expect(unknown).toMatchObject({
      sportType: 'stand_up_paddling',
      providerSportType: 'STAND_UP_PADDLEBOARDING',
      startDateLocal: null,
      utcOffsetS: null,
      averageHeartrate: null,
    });

    const unnamed = batch.activities[2]!;
    expect(unnamed.name).toBeNull();
    expect(unnamed.sportType).toBe('treadmill_run');
    expect(unnamed.startDateLocal).toBe('2016-01-16T04:50:00');

    expect(batch.rejected).toHaveLength(2);
    const [malformed, foreign] = batch.rejected;
    expect(ValidationError.isInstance(malformed)).toBe(true);
    expect(malformed!.itemId).toBe('5002000003');
    expect(malformed!.provider).toBe('garmin');
    expect(malformed!.issues.map((i) => i.path)).toEqual(['startTimeInSeconds']);
    expect(malformed!.message).toContain('startTimeInSeconds');
    expect(foreign!.itemId).toBe('5002000004');
    expect(foreign!.issues[0]!.path).toBe('userId');
    expect(foreign!.message).toContain('ffffffffffffffffffffffffffffffff');
  });

  it('accepts items of any user when no user is expected (the webhook groups by userId itself)', async () => {
    const batch = await mapGarminSummaries(pullActivities);
    expect(batch.activities).toHaveLength(4);
    expect(batch.rejected).toHaveLength(1);
  });

  it('accepts a numeric summaryId as a string id', async () => {
    const batch = await mapGarminSummaries([{ summaryId: 42, startTimeInSeconds: 1452470400 }]);
    expect(batch.activities[0]!.providerActivityId).toBe('42');
    expect(batch.activities[0]!.sportType).toBe('other');
  });
});

describeSportTypeCoverage({
  provider: 'garmin',
  documented: GARMIN_DOCUMENTED_ACTIVITY_TYPES,
  otherAllowed: GARMIN_OTHER_ACTIVITY_TYPES,
  map: mapGarminSportType,
  // 6 of 152: OTHER, the tree's root ALL, the three safety types and E_SPORT (README "Sport types")
  maxOtherShare: 0.04,
});

describe('sport types', () => {
  it('maps only to the design vocabulary and covers every normalized type but other and skateboard', () => {
    const values = new Set<string>(Object.values(GARMIN_SPORT_TYPES));
    for (const v of values) expect(SPORT_TYPES).toContain(v);
    // Garmin has no skateboarding type.
    expect(SPORT_TYPES.filter((t) => !values.has(t))).toEqual(['skateboard', 'other']);
  });

  it('is case-insensitive and maps unknown or missing types to other', () => {
    expect(mapGarminSportType('trail_running')).toBe('trail_run');
    expect(mapGarminSportType('MULTI_SPORT')).toBe('multisport');
    expect(mapGarminSportType('TENNIS_V2')).toBe('tennis');
    expect(mapGarminSportType('TENNIS')).toBe('tennis');
    expect(mapGarminSportType('UNDERWATER_HOCKEY')).toBe('other');
    expect(mapGarminSportType(undefined)).toBe('other');
  });
});

describe('profile and raw helpers', () => {
  it('builds a profile from the user id alone', () => {
    const profile = mapGarminProfile({ userId: USER });
    expect(profile).toMatchObject({ providerUserId: USER, firstName: null, lastName: null, avatarUrl: null });
  });

  it('leaves non-object payloads alone', () => {
    expect(garminRawPayload(null)).toBeNull();
    expect(garminRawPayload({ a: 1, userAccessToken: 'x' })).toEqual({ a: 1 });
  });
});

describe('properties', () => {
  it('any well-formed summary maps: UTC start, local = start + offset, a known sport type, raw kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          summaryId: fc.stringMatching(/^[0-9]{1,15}$/),
          startTimeInSeconds: fc.integer({ min: 0, max: 4_102_444_800 }),
          startTimeOffsetInSeconds: fc.integer({ min: -12 * 3600, max: 14 * 3600 }),
          activityType: fc.oneof(fc.constantFrom(...Object.keys(GARMIN_SPORT_TYPES)), fc.string()),
          durationInSeconds: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: undefined }),
          distanceInMeters: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
        }),
        async (summary) => {
          const batch = await mapGarminSummaries([summary]);
          expect(batch.rejected).toEqual([]);
          const a = batch.activities[0]!;
          expect(a.providerActivityId).toBe(summary.summaryId);
          expect(a.startDate.getTime()).toBe(summary.startTimeInSeconds * 1000);
          const local = new Date((summary.startTimeInSeconds + summary.startTimeOffsetInSeconds) * 1000);
          expect(a.startDateLocal).toBe(local.toISOString().slice(0, 19));
          expect(SPORT_TYPES).toContain(a.sportType);
          expect(a.distanceM).toBe(summary.distanceInMeters ?? null);
          expect(a.elapsedTimeS === null || Number.isInteger(a.elapsedTimeS)).toBe(true);
          expect(a.raw).toEqual(JSON.parse(JSON.stringify(summary)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('mapGarminSummaries: another user’s item', () => {
  it('is rejected naming the item as the validator would (activityId when summaryId is malformed)', async () => {
    const batch = await mapGarminSummaries(
      [
        { userId: 'someone-else', summaryId: [], activityId: 10010000000, startTimeInSeconds: 1 },
        { userId: 'someone-else', summaryId: 'abc-1', startTimeInSeconds: 1 },
      ],
      { expectedUserId: 'the-user' },
    );
    expect(batch.activities).toEqual([]);
    expect(batch.rejected.map((e) => (e as ValidationError).itemId)).toEqual(['10010000000', 'abc-1']);
  });
});
