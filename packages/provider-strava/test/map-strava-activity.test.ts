import { mapActivityItems, SPORT_TYPES, ValidationError } from '@trainlytics/core';
import { describeSportTypeCoverage } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';
import { mapStravaActivity } from '../src/map-strava-activity';
import { parseStravaJson, stravaActivitySchema } from '../src/strava-api';
import {
  mapStravaSportType,
  STRAVA_DOCUMENTED_SPORT_TYPES,
  STRAVA_OTHER_SPORT_TYPES,
  STRAVA_SPORT_TYPE_NAMES,
  STRAVA_SPORT_TYPES,
} from '../src/strava-sport-types';
import { fixtureText } from './fixtures';

const mapItems = (items: unknown[]) =>
  mapActivityItems(items, { provider: 'strava', schema: stravaActivitySchema, map: mapStravaActivity });

describe('mapStravaActivity on the reference examples', () => {
  it('maps the SummaryActivity list example field by field', async () => {
    const items = parseStravaJson(fixtureText('athlete-activities.json')) as unknown[];
    const batch = await mapItems(items);
    expect(batch.rejected).toEqual([]);
    const [first, second] = batch.activities;
    expect(first).toMatchObject({
      providerActivityId: '154504250376823',
      name: 'Happy Friday',
      // MountainBikeRide on a trainer has no indoor variant: it stays a mountain-bike ride
      sportType: 'mountain_bike_ride',
      providerSportType: 'MountainBikeRide',
      startDateLocal: '2018-05-02T05:15:09',
      utcOffsetS: -25200,
      elapsedTimeS: 4500,
      movingTimeS: 4500,
      distanceM: 24931.4,
      totalElevationGainM: 0,
      averageHeartrate: 140.3,
      maxHeartrate: 178,
      calories: null,
      averageSpeedMps: 5.54,
      maxSpeedMps: 11,
      isManual: false,
      deviceName: null,
      // resource_state 2: a summary, which never clears what a detail stored (ADR 0015)
      detail: 'summary',
    });
    expect(first?.startDate.toISOString()).toBe('2018-05-02T12:15:09.000Z');
    // the raw payload is kept, with the upload id beyond 2^53 exact
    expect((first!.raw as Record<string, unknown>).upload_id).toBe('987654321234567891234');
    expect((first!.raw as Record<string, unknown>).suffer_score).toBe(82);
    // has_heartrate false: no HR fields at all
    expect(second).toMatchObject({
      providerActivityId: '1234567809',
      averageHeartrate: null,
      maxHeartrate: null,
    });
  });

  it('reads start_date_local as wall-clock time: its trailing Z is not UTC', async () => {
    const [item] = parseStravaJson(fixtureText('athlete-activities-edge-cases.json')) as unknown[];
    const { activities } = await mapItems([item]);
    const activity = activities[0]!;
    // 00:30 UTC is 01:30 in Paris; reading the local value as UTC would be an hour off
    expect(activity.startDate.toISOString()).toBe('2025-03-30T00:30:00.000Z');
    expect(activity.startDateLocal).toBe('2025-03-30T01:30:00');
    expect(activity.utcOffsetS).toBe(3600);
  });

  it('keeps an id beyond 2^53 exact as a string', async () => {
    const items = parseStravaJson(fixtureText('athlete-activities-edge-cases.json')) as unknown[];
    const { activities } = await mapItems(items);
    const big = activities.find((a) => a.name === 'Track session')!;
    expect(big.providerActivityId).toBe('9007199254740993');
    expect(Number.isSafeInteger(Number(big.providerActivityId))).toBe(false);
    expect((big.raw as Record<string, unknown>).id).toBe('9007199254740993');
    expect(big.averageHeartrate).toBeNull();
    expect(big.maxHeartrate).toBeNull();
  });

  it('recovers a rounded id from map.id when the body went through plain JSON.parse', async () => {
    const items = JSON.parse(fixtureText('athlete-activities-edge-cases.json')) as unknown[];
    // JSON.parse has already rounded 9007199254740993 to 9007199254740992
    expect((items[0] as { id: number }).id).toBe(9007199254740992);
    const { activities } = await mapItems(items);
    expect(activities[0]?.providerActivityId).toBe('9007199254740993');
    expect((activities[0]!.raw as Record<string, unknown>).id).toBe('9007199254740993');
  });

  it('rejects a rounded id that cannot be recovered instead of storing a wrong one', async () => {
    const detailed = JSON.parse(fixtureText('activity-detailed.json'));
    const batch = await mapItems([detailed]);
    expect(batch.activities).toEqual([]);
    expect(batch.rejected).toHaveLength(1);
    expect(batch.rejected[0]?.issues[0]?.path).toBe('id');

    const exact = await mapItems([parseStravaJson(fixtureText('activity-detailed.json'))]);
    expect(exact.activities[0]?.providerActivityId).toBe('12345678987654321');
  });

  it('maps the DetailedActivity example: calories and device name', async () => {
    const { activities } = await mapItems([parseStravaJson(fixtureText('activity-detailed.json'))]);
    expect(activities[0]).toMatchObject({
      calories: 870.2,
      deviceName: 'Garmin Edge 1030',
      utcOffsetS: -28800,
      startDateLocal: '2018-02-16T06:52:54',
      averageHeartrate: null,
      totalElevationGainM: 516,
      detail: 'detail',
    });
  });

  it('maps a sport newer than the reference enum and keeps the Strava name; manual activities are manual', async () => {
    const items = parseStravaJson(fixtureText('athlete-activities-edge-cases.json')) as unknown[];
    const { activities } = await mapItems(items);
    const padel = activities.find((a) => a.providerActivityId === '12950000001')!;
    expect(padel.sportType).toBe('padel');
    expect(padel.providerSportType).toBe('Padel');
    expect(padel.isManual).toBe(true);
    expect(padel.distanceM).toBe(0);
    expect(padel.startDateLocal).toBe('2025-06-01T18:00:00');
    const unknown = await mapItems([
      { ...(items[0] as object), id: 12950000009, sport_type: 'Underwater hockey' },
    ]);
    expect(unknown.activities[0]!.sportType).toBe('other');
    expect(unknown.activities[0]!.providerSportType).toBe('Underwater hockey');
  });

  it('falls back to the deprecated type when sport_type is absent', async () => {
    const items = parseStravaJson(fixtureText('athlete-activities-edge-cases.json')) as unknown[];
    const { activities } = await mapItems(items);
    const ski = activities.find((a) => a.providerActivityId === '1056781234')!;
    expect(ski.sportType).toBe('cross_country_ski');
    expect(ski.providerSportType).toBe('NordicSki');
    expect(ski.averageHeartrate).toBe(151.2);
  });

  it('rejects a malformed item naming provider, id and field, and maps the others', async () => {
    const items = parseStravaJson(fixtureText('athlete-activities-edge-cases.json')) as unknown[];
    const batch = await mapItems(items);
    expect(batch.activities).toHaveLength(3);
    expect(batch.rejected).toHaveLength(1);
    const error = batch.rejected[0]!;
    expect(ValidationError.isInstance(error)).toBe(true);
    expect(error.provider).toBe('strava');
    expect(error.itemId).toBe('12950000002');
    expect(error.issues.map((i) => i.path)).toContain('start_date');
    expect(error.message).toMatch(/strava activity 12950000002 is malformed: start_date/);
  });

  it('rejects an item with neither sport_type nor type', async () => {
    const [item] = parseStravaJson(fixtureText('athlete-activities.json')) as Record<string, unknown>[];
    const { sport_type: _s, type: _t, ...rest } = item!;
    const batch = await mapItems([rest]);
    expect(batch.rejected[0]?.issues[0]?.path).toBe('sport_type');
  });

  it('treats a Ride, Run or Rowing on a trainer as indoor', async () => {
    const [base] = parseStravaJson(fixtureText('athlete-activities.json')) as Record<string, unknown>[];
    const cases: Array<[string, boolean, string]> = [
      ['Ride', true, 'indoor_ride'],
      ['Ride', false, 'ride'],
      ['Run', true, 'treadmill_run'],
      ['Rowing', true, 'indoor_rowing'],
      ['VirtualRide', true, 'virtual_ride'],
    ];
    for (const [sportType, trainer, expected] of cases) {
      const { activities } = await mapItems([{ ...base, sport_type: sportType, trainer }]);
      expect(activities[0]?.sportType, `${sportType} trainer=${trainer}`).toBe(expected);
    }
  });
});

describeSportTypeCoverage({
  provider: 'strava',
  documented: STRAVA_DOCUMENTED_SPORT_TYPES,
  otherAllowed: STRAVA_OTHER_SPORT_TYPES,
  map: mapStravaSportType,
  maxOtherShare: 0,
});

describe('Strava sport types', () => {
  it('maps the sports the demo showed as other to their own category', () => {
    expect(mapStravaSportType('Tennis')).toBe('tennis');
    expect(mapStravaSportType('Soccer')).toBe('soccer');
    expect(mapStravaSportType('Surfing')).toBe('surfing');
    expect(mapStravaSportType('Squash')).toBe('squash');
    expect(mapStravaSportType('Pickleball')).toBe('pickleball');
    expect(mapStravaSportType('RockClimbing')).toBe('climbing');
    expect(mapStravaSportType('Golf')).toBe('golf');
    expect(mapStravaSportType('Kayaking')).toBe('paddling');
    expect(mapStravaSportType('Padel')).toBe('padel');
  });

  it('maps every official SportType to the normalized vocabulary', () => {
    expect(STRAVA_SPORT_TYPE_NAMES).toHaveLength(50);
    for (const name of STRAVA_SPORT_TYPE_NAMES) {
      expect(SPORT_TYPES).toContain(mapStravaSportType(name));
    }
    expect(mapStravaSportType('TrailRun')).toBe('trail_run');
    expect(mapStravaSportType('GravelRide')).toBe('gravel_ride');
    expect(mapStravaSportType('EBikeRide')).toBe('e_bike_ride');
    expect(mapStravaSportType('WeightTraining')).toBe('strength_training');
    expect(mapStravaSportType('HighIntensityIntervalTraining')).toBe('hiit');
    expect(mapStravaSportType('NordicSki')).toBe('cross_country_ski');
    expect(mapStravaSportType('VirtualRow')).toBe('indoor_rowing');
  });

  it('maps unknown and missing names to other, case-insensitively otherwise', () => {
    expect(mapStravaSportType('Underwater hockey')).toBe('other');
    expect(mapStravaSportType(undefined)).toBe('other');
    expect(mapStravaSportType('mountainbikeride')).toBe('mountain_bike_ride');
  });

  it('uses each normalized value the table claims', () => {
    const used = new Set(Object.values(STRAVA_SPORT_TYPES));
    for (const value of used) expect(SPORT_TYPES).toContain(value);
  });
});

describe('parseStravaJson', () => {
  it('turns only unsafe integers into strings, leaving strings and safe numbers alone', () => {
    const parsed = parseStravaJson(
      '{"id": 9007199254740993, "small": 12, "float": 12345678901234567.5, "text": "id: 99999999999999999", "list": [18014398509481985, 1]}',
    ) as Record<string, unknown>;
    expect(parsed.id).toBe('9007199254740993');
    expect(parsed.small).toBe(12);
    expect(parsed.float).toBe(Number('12345678901234567.5'));
    expect(parsed.text).toBe('id: 99999999999999999');
    expect(parsed.list).toEqual(['18014398509481985', 1]);
  });
});
