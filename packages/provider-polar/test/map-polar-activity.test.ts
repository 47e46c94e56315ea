import { mapActivityItems, SPORT_TYPES, ValidationError } from '@trainlytics/core';
import { describeSportTypeCoverage } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';
import exercise from '../src/__fixtures__/exercise.json';
import exerciseIndoor from '../src/__fixtures__/exercise-indoor-no-gps-no-hr.json';
import exerciseTrail from '../src/__fixtures__/exercise-trail-run-negative-offset.json';
import exerciseUnknown from '../src/__fixtures__/exercise-unknown-sport.json';
import exercisesWithMalformed from '../src/__fixtures__/exercises-with-malformed.json';
import transactionExercise from '../src/__fixtures__/transaction-exercise.json';
import user from '../src/__fixtures__/user.json';
import { mapPolarActivity } from '../src/map-polar-activity';
import { mapPolarProfile } from '../src/map-polar-profile';
import { normalizeExerciseKeys, polarAnyExerciseSchema, polarUserSchema } from '../src/polar-api';
import {
  mapPolarSportType,
  POLAR_DETAILED_SPORT_TYPES,
  POLAR_DOCUMENTED_SPORTS,
  POLAR_OTHER_SPORTS,
} from '../src/polar-sport-types';

function map(raw: unknown) {
  return mapPolarActivity(polarAnyExerciseSchema.parse(raw), raw);
}

describe('mapPolarActivity', () => {
  it('maps the AccessLink reference example (local start + offset in minutes, PT2H44M)', () => {
    const activity = map(exercise);
    expect(activity).toMatchObject({
      providerActivityId: '2AC312F',
      startDateLocal: '2008-10-13T10:40:02',
      utcOffsetS: 180 * 60,
      elapsedTimeS: 2 * 3600 + 44 * 60,
      movingTimeS: null,
      distanceM: 1600,
      averageHeartrate: 129,
      maxHeartrate: 147,
      calories: 530,
      deviceName: 'Polar M400',
      sportType: 'water_sport',
      providerSportType: 'WATERSPORTS_WATERSKI',
      isManual: false,
    });
    // 10:40:02 at UTC+3 is 07:40:02 UTC
    expect(activity.startDate.toISOString()).toBe('2008-10-13T07:40:02.000Z');
    expect(activity.averageSpeedMps).toBeCloseTo(1600 / 9840, 6);
    expect(activity.raw).toEqual(exercise);
  });

  it('reads fractional-second durations and a negative UTC offset', () => {
    const activity = map(exerciseTrail);
    expect(activity.sportType).toBe('trail_run');
    expect(activity.utcOffsetS).toBe(-300 * 60);
    expect(activity.startDateLocal).toBe('2026-03-01T18:30:00');
    // 18:30 at UTC-5 is 23:30 UTC the same day
    expect(activity.startDate.toISOString()).toBe('2026-03-01T23:30:00.000Z');
    // PT1H2M3.5S = 3723.5 s, rounded to whole seconds for the integer column
    expect(activity.elapsedTimeS).toBe(3724);
    expect(activity.averageSpeedMps).toBeCloseTo(11234.5 / 3723.5, 6);
    expect(activity.name).toBe('Trail running');
  });

  it('leaves distance, speed and heart rate null without GPS or HR, with a non-whole-hour offset', () => {
    const activity = map(exerciseIndoor);
    expect(activity.sportType).toBe('indoor_ride');
    expect(activity.distanceM).toBeNull();
    expect(activity.averageSpeedMps).toBeNull();
    expect(activity.averageHeartrate).toBeNull();
    expect(activity.maxHeartrate).toBeNull();
    expect(activity.elapsedTimeS).toBe(2700);
    expect(activity.utcOffsetS).toBe(330 * 60);
    expect(activity.startDate.toISOString()).toBe('2026-03-04T00:30:00.000Z');
  });

  it('maps an unknown sport to other and keeps the Polar name', () => {
    const activity = map(exerciseUnknown);
    expect(activity.sportType).toBe('other');
    expect(activity.providerSportType).toBe('SURFING');
    expect(activity.calories).toBeNull();
    expect(activity.deviceName).toBeNull();
  });

  it('maps the transactional (kebab-case, integer id) variant like the snake_case one', () => {
    const fromTransaction = map(transactionExercise);
    const fromList = map(exercise);
    expect(fromTransaction.providerActivityId).toBe('1937529874');
    const { providerActivityId: _a, raw: rawA, ...restA } = fromTransaction;
    const { providerActivityId: _b, raw: _rawB, ...restB } = fromList;
    expect(restA).toEqual(restB);
    expect(rawA).toEqual(transactionExercise); // raw is kept as received, kebab-case keys included
  });

  it('normalizes only top-level kebab keys and keeps running-index', () => {
    const normalized = normalizeExerciseKeys({ 'start-time': 'x', 'running-index': 51, 'heart-rate': {} });
    expect(normalized).toEqual({ start_time: 'x', 'running-index': 51, heart_rate: {} });
  });

  it('rejects malformed items one by one with the provider, item id and field, and maps the rest', async () => {
    const batch = await mapActivityItems(exercisesWithMalformed, {
      provider: 'polar',
      schema: polarAnyExerciseSchema,
      map: mapPolarActivity,
    });
    expect(batch.activities.map((a) => a.providerActivityId)).toEqual(['Good01']);
    expect(batch.rejected).toHaveLength(2);
    const [wrongType, badDuration] = batch.rejected;
    expect(ValidationError.isInstance(wrongType)).toBe(true);
    expect(wrongType?.itemId).toBe('Bad002');
    expect(wrongType?.issues.map((i) => i.path)).toEqual(['start_time']);
    expect(wrongType?.message).toMatch(/polar activity Bad002 is malformed: start_time/);
    expect(badDuration?.itemId).toBe('Bad003');
    expect(badDuration?.issues[0]?.path).toBe('duration');
  });
});

describeSportTypeCoverage({
  provider: 'polar',
  documented: POLAR_DOCUMENTED_SPORTS,
  otherAllowed: POLAR_OTHER_SPORTS,
  map: (name) => mapPolarSportType(name, null),
  // 3 of 171: OTHER_INDOOR, OTHER_OUTDOOR, ESPORTS (README "Sport types")
  maxOtherShare: 0.02,
});

describe('mapPolarSportType', () => {
  it('covers every normalized sport type but those Polar has no sport for', () => {
    // Polar lists no hunting, fishing, flying, diving, racquetball or meditation sport, and no group names.
    const notPolar = [
      'hunting_fishing',
      'air_sport',
      'winter_sport',
      'racket_sport',
      'racquetball',
      'diving',
      'meditation',
    ];
    const covered = new Set([...Object.values(POLAR_DETAILED_SPORT_TYPES), 'other', ...notPolar]);
    expect([...SPORT_TYPES].filter((s) => !covered.has(s))).toEqual([]);
  });

  it('prefers detailed_sport_info, falls back to sport, then other', () => {
    expect(mapPolarSportType('MOUNTAIN_BIKING', 'CYCLING')).toBe('mountain_bike_ride');
    expect(mapPolarSportType('SOMETHING_NEW', 'CYCLING')).toBe('ride');
    expect(mapPolarSportType(undefined, 'RUNNING')).toBe('run');
    expect(mapPolarSportType('open_water_swimming', null)).toBe('open_water_swim');
    expect(mapPolarSportType(null, null)).toBe('other');
  });
});

describe('mapPolarProfile', () => {
  it('maps the kebab-case user (names, sex; no avatar)', () => {
    const profile = mapPolarProfile(polarUserSchema.parse(user), user);
    expect(profile).toMatchObject({
      providerUserId: '2278512',
      firstName: 'Eka',
      lastName: 'Toka',
      sex: 'M',
      avatarUrl: null,
      profileUrl: null,
    });
    expect(profile.raw).toEqual(user);
  });
});
