import { type ConnectionContext, ValidationError } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolarSettings } from '../src/polar-settings';
import { createPolarStreams, mapPolarStreams, polarExerciseDetailSchema } from '../src/polar-streams';
import { channelSeries, expectSamplesKept } from './samples-oracle';

const activity = { providerActivityId: 'aQlC83', startDate: new Date('2026-05-01T07:00:00Z'), raw: {} };

/** A value as Polar writes it: an integer or a decimal with up to 3 digits, or a gap. */
const value = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -500, max: 100_000 }).map(String) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 3 }), fc.nat(999))
      .map(
        ([whole, digits, fraction]) => `${whole}.${String(fraction % 10 ** digits).padStart(digits, '0')}`,
      ),
  },
  { weight: 1, arbitrary: fc.constantFrom('', 'NULL', 'null') },
);

const sampleType = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10');
const series = fc.record({
  'recording-rate': fc.constantFrom(1, 2, 5),
  'sample-type': sampleType,
  data: fc.array(value, { minLength: 0, maxLength: 60 }).map((values) => values.join(',')),
});
const routePoint = fc.record({
  latitude: fc.double({ min: -90, max: 90, noNaN: true }),
  longitude: fc.double({ min: -180, max: 180, noNaN: true }),
  time: fc.integer({ min: 0, max: 400_000 }).map((ms) => `PT${ms / 1000}S`),
  satellites: fc.integer({ min: 0, max: 63 }),
  fix: fc.integer({ min: 0, max: 3 }),
});
const payload = fc.record({
  id: fc.constant('aQlC83'),
  samples: fc.array(series, { maxLength: 6 }),
  route: fc.array(routePoint, { maxLength: 40 }),
});

describe('mapPolarStreams properties', () => {
  it('maps any valid payload: aligned, every sample and route point in place, lossless through the codec', () => {
    fc.assert(
      fc.property(payload, (raw) => {
        const streams = mapPolarStreams(activity, polarExerciseDetailSchema.parse(raw));
        if (channelSeries(raw.samples).size === 0 && raw.route.length === 0) {
          expect(streams).toBeNull();
          return;
        }
        expect(streams).not.toBeNull();
        expectSamplesKept(raw, streams!);
      }),
      { numRuns: 300 },
    );
  });

  it('answers a malformed payload with a ValidationError, never another error', async () => {
    const settings = createPolarSettings({
      clientId: 'c',
      clientSecret: 's',
      apiUrl: 'http://127.0.0.1:9/v3',
      env: {},
    });
    const streams = createPolarStreams(settings);
    // a valid payload with one foreign token in one series' data ("1e3", "abc", " 7", "NaN", …)
    const foreignToken = fc
      .tuple(payload, fc.nat(), fc.string({ maxLength: 6 }))
      .filter(([p]) => p.samples.length > 0)
      .map(([p, at, token]) => {
        const samples = p.samples.map((s) => ({ ...s }));
        const s = samples[at % samples.length]!;
        s.data = s.data ? `${s.data},${token}` : token;
        return { ...p, samples };
      });
    const corrupt = fc.oneof(
      fc.anything(),
      foreignToken,
      payload.chain((p) =>
        fc.record({
          ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, fc.constant(v)])),
          samples: fc.array(
            fc.record({
              'recording-rate': fc.oneof(fc.constantFrom(1, 0, -1, null, 1.5, '1'), fc.anything()),
              'sample-type': fc.oneof(sampleType, fc.anything()),
              data: fc.oneof(fc.string(), fc.anything()),
            }),
            { maxLength: 4 },
          ),
          route: fc.array(fc.oneof(routePoint, fc.anything()), { maxLength: 4 }),
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(corrupt, async (data) => {
        const ctx = {
          http: { request: async () => ({ status: 200, headers: new Headers(), data }) },
        } as unknown as ConnectionContext;
        try {
          const result = await streams.fetch(ctx, activity);
          expect(['stored', 'none']).toContain(result.status);
          if (result.status !== 'stored') return;
          // whatever was accepted is sound: finite numbers or gaps, aligned with time
          const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
          expect(result.streams.time.every(finite)).toBe(true);
          for (const values of Object.values(result.streams.channels) as unknown[][]) {
            expect(values).toHaveLength(result.streams.time.length);
            const sound = (v: unknown) => v === null || finite(v) || (Array.isArray(v) && v.every(finite));
            expect(values.every(sound)).toBe(true);
          }
        } catch (error) {
          expect(ValidationError.isInstance(error)).toBe(true);
          expect(error).toMatchObject({ provider: 'polar' });
        }
      }),
      { numRuns: 300 },
    );
  });
});
