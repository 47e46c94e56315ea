import {
  decodeSamples,
  encodePolyline,
  encodeSamples,
  SAMPLE_CHANNEL_NAMES,
  ValidationError,
} from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import pushDetails from '../src/__fixtures__/push-activity-details.json';
import { garminActivityDetailSchema } from '../src/garmin-api';
import {
  garminDetailActivityId,
  mapGarminActivityDetailStreams,
  mapGarminActivityDetails,
} from '../src/map-garmin-activity-details';

const USER = '4aacafe82427c251df9c9592d0c06768';

describe('mapGarminActivityDetails: the Activity API documentation example (section 7.3)', () => {
  // The documentation's example pairs a 2017 summary with two 2022 samples; the mapping keeps it as given:
  // offsets from the summary's startTimeInSeconds.
  it('maps samples to normalized channels, laps, route and raw', async () => {
    const batch = await mapGarminActivityDetails(pushDetails.activityDetails, { expectedUserId: USER });
    expect(batch.rejected).toEqual([]);
    expect(batch.items).toHaveLength(1);
    const item = batch.items[0]!;
    expect(item.providerActivityId).toBe('5001968355');
    expect(item.startDate.toISOString()).toBe('2017-12-02T17:02:06.000Z');
    const s = item.streams;
    expect(s.time).toEqual([1669313992 - 1512234126, 1669314001 - 1512234126]);
    expect(s.channels).toEqual({
      latlng: [
        [38.832325832918286, -94.74890395067632],
        [38.832390792667866, -94.74878308363259],
      ],
      distance: [1903.4200439453125, 1916.18994140625],
      altitude: [314.0, 314.20001220703125],
      speed: [1.3250000476837158, 1.315999984741211],
      heartrate: [108, 109],
      // movingDurationInSeconds 1379 → 1388: moving; the first sample has nothing before it
      moving: [null, true],
    });
    // no stepsPerMinute, powerInWatts or airTemperatureCelcius in the samples: those channels are absent
    expect(Object.keys(s.channels)).not.toContain('cadence');
    expect(Object.keys(s.channels)).not.toContain('power');
    expect(Object.keys(s.channels)).not.toContain('temperature');
    expect(s.laps.map((l) => [l.startOffsetS, l.elapsedTimeS])).toEqual([
      [0, 789],
      [789, 1789 - 789],
    ]);
    expect(s.route).toEqual({
      polyline: encodePolyline([
        [38.832325832918286, -94.74890395067632],
        [38.832390792667866, -94.74878308363259],
      ]),
      resolution: 'full',
    });
    const raw = s.raw as Record<string, unknown>;
    expect(raw.samples).toBeUndefined();
    expect(raw.userAccessToken).toBeUndefined();
    expect(raw.summaryId).toBe('5001968355-detail');
    expect(raw.laps).toEqual(pushDetails.activityDetails[0]!.laps);
    expect(raw.summary).toEqual(pushDetails.activityDetails[0]!.summary);
  });

  it('describes the activity its summary gives, as a summary-level write for the same id', async () => {
    const { items } = await mapGarminActivityDetails(pushDetails.activityDetails);
    expect(items[0]!.activity).toMatchObject({
      providerActivityId: '5001968355',
      name: 'Olathe RUNNING',
      sportType: 'run',
      elapsedTimeS: 1789,
      distanceM: 4976.83,
      averageHeartrate: 144,
      deviceName: 'Garmin fenix 8',
      detail: 'summary',
    });
    const raw = items[0]!.activity!.raw as Record<string, unknown>;
    expect(raw.summaryId).toBe('5001968355');
    expect(raw.activityId).toBe(5001968355);
    expect(raw.userAccessToken).toBeUndefined();
  });

  it('rejects a malformed item and another user’s item, and maps the rest', async () => {
    const good = pushDetails.activityDetails[0]!;
    const batch = await mapGarminActivityDetails(
      [
        { ...good, summaryId: 'broken-detail', samples: [{ startTimeInSeconds: 'noon' }] },
        { ...good, summaryId: 'x-detail', userId: 'someone-else' },
        good,
      ],
      { expectedUserId: USER },
    );
    expect(batch.items.map((i) => i.providerActivityId)).toEqual(['5001968355']);
    expect(batch.rejected).toHaveLength(2);
    expect(batch.rejected.every((e) => ValidationError.isInstance(e))).toBe(true);
    expect(batch.rejected.map((e) => e.itemId)).toEqual(['broken-detail', 'x-detail']);
  });

  it('leaves out a multisport parent’s details, as the parent summary is not stored', async () => {
    const good = pushDetails.activityDetails[0]!;
    const parent = { ...good, summaryId: '9-detail', summary: { ...good.summary, isParent: true } };
    const batch = await mapGarminActivityDetails([parent, good], { expectedUserId: USER });
    expect(batch.items.map((i) => i.providerActivityId)).toEqual(['5001968355']);
    expect(batch.rejected).toEqual([]);
  });

  it('finds the activity summary id from the detail id, else the activityId', () => {
    expect(garminDetailActivityId({ summaryId: '77-detail', activityId: 77 })).toBe('77');
    expect(garminDetailActivityId({ summaryId: 'abc', activityId: '12345678901234567890' })).toBe(
      '12345678901234567890',
    );
  });
});

// ------------------------------------------------------------------ property

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const decimal = (min: number, max: number, digits: number) =>
  fc.integer({ min: min * 10 ** digits, max: max * 10 ** digits }).map((n) => n / 10 ** digits);
const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });

const sampleArb = fc.record(
  {
    startTimeInSeconds: fc.integer({ min: 1_600_000_000, max: 1_600_020_000 }),
    latitudeInDegree: optional(fc.double({ min: -90, max: 90, noNaN: true })),
    longitudeInDegree: optional(fc.double({ min: -180, max: 180, noNaN: true })),
    elevationInMeters: optional(anyDouble),
    airTemperatureCelcius: optional(decimal(-30, 50, 1)),
    heartRate: optional(fc.integer({ min: 30, max: 230 })),
    speedMetersPerSecond: optional(anyDouble),
    stepsPerMinute: optional(decimal(0, 250, 1)),
    totalDistanceInMeters: optional(decimal(0, 300_000, 2)),
    timerDurationInSeconds: optional(fc.nat(90_000)),
    clockDurationInSeconds: optional(fc.nat(90_000)),
    movingDurationInSeconds: optional(fc.nat(90_000)),
    powerInWatts: optional(fc.integer({ min: 0, max: 2000 })),
    bikeCadenceInRPM: optional(fc.integer({ min: 0, max: 200 })),
  },
  { requiredKeys: ['startTimeInSeconds'] },
);

const detailArb = fc.record({
  userId: fc.constant(USER),
  summaryId: fc.nat().map((n) => `${n}-detail`),
  activityId: fc.nat(),
  summary: fc.record(
    {
      startTimeInSeconds: fc.integer({ min: 1_600_000_000, max: 1_600_010_000 }),
      durationInSeconds: fc.nat(86_400),
      activityType: fc.constantFrom('RUNNING', 'CYCLING', 'LAP_SWIMMING', 'INDOOR_CYCLING'),
    },
    { requiredKeys: ['startTimeInSeconds'] },
  ),
  samples: fc.array(sampleArb, { maxLength: 60 }),
  laps: fc.array(fc.record({ startTimeInSeconds: fc.integer({ min: 1_600_000_000, max: 1_600_020_000 }) }), {
    maxLength: 5,
  }),
});

const FIELD_OF = {
  distance: ['totalDistanceInMeters'],
  altitude: ['elevationInMeters'],
  speed: ['speedMetersPerSecond'],
  heartrate: ['heartRate'],
  power: ['powerInWatts'],
  temperature: ['airTemperatureCelcius'],
  cadence: ['bikeCadenceInRPM', 'stepsPerMinute'],
  moving: ['movingDurationInSeconds'],
  latlng: ['latitudeInDegree'],
  grade: [],
} as const;

describe('mapGarminActivityDetailStreams on generated payloads (property)', () => {
  it('never throws; channels aligned, time monotone, no zero-fill, lossless through the sample codec', () => {
    fc.assert(
      fc.property(detailArb, (payload) => {
        const detail = garminActivityDetailSchema.parse(payload);
        const streams = mapGarminActivityDetailStreams(detail, payload);
        const n = payload.samples.length;
        expect(streams.time).toHaveLength(n);
        for (let i = 1; i < n; i++) expect(streams.time[i]!).toBeGreaterThanOrEqual(streams.time[i - 1]!);
        for (const name of SAMPLE_CHANNEL_NAMES) {
          const values = streams.channels[name];
          const recorded = payload.samples.some((s) =>
            FIELD_OF[name].some((f) => (s as Record<string, unknown>)[f] !== undefined),
          );
          // a channel exists exactly when a sample recorded it (latlng: with both coordinates)
          if (name === 'latlng') {
            const both = payload.samples.some(
              (s) => s.latitudeInDegree !== undefined && s.longitudeInDegree !== undefined,
            );
            expect(values !== undefined).toBe(both);
          } else {
            expect(values !== undefined).toBe(recorded);
          }
          if (values) expect(values).toHaveLength(n);
        }
        // a sample without heart rate is a gap, never a zero
        const sorted = [...payload.samples].sort((a, b) => a.startTimeInSeconds - b.startTimeInSeconds);
        streams.channels.heartrate?.forEach((v, i) => {
          expect(v).toBe(sorted[i]!.heartRate ?? null);
        });
        const decoded = decodeSamples(encodeSamples(streams));
        expect(decoded.time).toEqual(streams.time);
        expect(decoded.channels).toEqual(streams.channels);
        expect(JSON.stringify(streams.raw)).not.toContain('"samples"');
      }),
      { numRuns: 300 },
    );
  });
});
