import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CHANNEL_NAMES, type SampleChannels } from '../../src/model/activity-streams';
import { decodeSamples, encodeSamples, SampleCodecError } from '../../src/streams/sample-codec';
import v1Fixture from '../fixtures/sample-codec-v1.json';

const SEMICIRCLE = 180 / 2 ** 31;

/** Any double JSON can carry, plus awkward ones (subnormals, huge, many digits). */
const jsonNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(-0),
  // Garmin: 32-bit floats widened to doubles, positions converted from semicircles
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((s) => s * SEMICIRCLE),
  // decimals at scales 0–7
  fc
    .tuple(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 7 }))
    .map(([n, d]) => n / 10 ** d),
  fc.double({ min: -1e-300, max: 1e-300, noNaN: true }),
  fc.constantFrom(1.7976931348623157e308, -5e-324, 2 ** 53, -(2 ** 53) - 2),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 10),
  fc.integer({ min: -90_000_000, max: 90_000_000 }).map((n) => n / 1e6),
  fc.integer(),
);

/** A column of one kind (so the float32, semicircle and decimal modes are each chosen), or of mixed kinds. */
const columnValue = fc.constantFrom<fc.Arbitrary<number>>(
  jsonNumber,
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.float({ min: -100, max: 100, noNaN: true }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((s) => s * SEMICIRCLE),
  fc
    .integer({ min: 0, max: 7 })
    .chain((d) => fc.integer({ min: -(10 ** 8), max: 10 ** 8 }).map((n) => n / 10 ** d)),
);

function channelsArb(n: number): fc.Arbitrary<SampleChannels> {
  const numbers = columnValue.chain((value) =>
    fc.array(fc.option(value, { nil: null, freq: 4 }), { minLength: n, maxLength: n }),
  );
  return fc.record(
    {
      latlng: columnValue.chain((value) =>
        fc.array(fc.option(fc.tuple(value, value), { nil: null, freq: 4 }), { minLength: n, maxLength: n }),
      ),
      distance: numbers,
      altitude: numbers,
      speed: numbers,
      heartrate: numbers,
      cadence: numbers,
      power: numbers,
      temperature: numbers,
      moving: fc.array(fc.option(fc.boolean(), { nil: null, freq: 4 }), { minLength: n, maxLength: n }),
      grade: numbers,
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<SampleChannels>;
}

const streamsArb = fc.integer({ min: 0, max: 60 }).chain((n) =>
  fc.record({
    time: columnValue.chain((value) => fc.array(fc.oneof(fc.nat(), value), { minLength: n, maxLength: n })),
    channels: channelsArb(n),
  }),
);

describe('sample codec', () => {
  it('gives back every value exactly (Object.is), gaps and absent channels included', () => {
    fc.assert(
      fc.property(streamsArb, (streams) => {
        const decoded = decodeSamples(encodeSamples(streams));
        expect(decoded.time.length).toBe(streams.time.length);
        decoded.time.forEach((t, i) => {
          expect(Object.is(t, streams.time[i])).toBe(true);
        });
        expect(Object.keys(decoded.channels).sort()).toEqual(Object.keys(streams.channels).sort());
        for (const name of SAMPLE_CHANNEL_NAMES) {
          const original = streams.channels[name] as unknown[] | undefined;
          const back = decoded.channels[name] as unknown[] | undefined;
          if (!original) continue;
          original.forEach((v, i) => {
            const w = back?.[i];
            if (Array.isArray(v)) {
              expect(Array.isArray(w)).toBe(true);
              expect(Object.is((w as number[])[0], v[0]) && Object.is((w as number[])[1], v[1])).toBe(true);
            } else {
              expect(Object.is(w, v)).toBe(true);
            }
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads version-1 encodings written by earlier releases (fixture from the version-1 encoder)', () => {
    const bytes = new Uint8Array(Buffer.from(v1Fixture.hex, 'hex'));
    expect(bytes[0]).toBe(1);
    expect(decodeSamples(bytes)).toEqual(v1Fixture.streams);
    // and writes version 2 for the same samples, which reads back the same
    const again = encodeSamples(v1Fixture.streams as never);
    expect(again[0]).toBe(2);
    expect(decodeSamples(again)).toEqual(v1Fixture.streams);
  });

  it('refuses an unknown version and a version-2 mode in a version-1 encoding', () => {
    const bytes = new Uint8Array(Buffer.from(v1Fixture.hex, 'hex'));
    expect(() => decodeSamples(Uint8Array.of(3, ...bytes.subarray(1)))).toThrow(/version 3/);
    // version 1 · 1 sample · time: no gaps, mode 32 (float32, version 2 only)
    expect(() => decodeSamples(Uint8Array.of(1, 1, 0, 32, 0, 0))).toThrow(/Corrupt column mode/);
    expect(decodeSamples(Uint8Array.of(2, 1, 0, 32, 0, 0))).toEqual({ time: [0], channels: {} });
  });

  it('stores a float32-exact series that moves by small steps in at most 2 bytes a value (Garmin altitude at 0.2 m)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 2000 }),
        fc.integer({ min: 1300, max: 8000 }), // stays above 16 m: n steps of at most 0.6 m
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 100, maxLength: 100 }),
        (n, start, steps) => {
          let units = start * 5;
          const altitude = Array.from({ length: n }, (_, i) => {
            units += steps[i % steps.length] as number;
            return Math.fround(units / 5);
          });
          const time = Array.from({ length: n }, (_, i) => i);
          const bytes = encodeSamples({ time, channels: { altitude } });
          const alone = encodeSamples({ time, channels: {} });
          // float32 keys of values a few tenths apart (above 16 m) differ by < 2^13: two-byte varints;
          // plus channel index, presence and mode bytes and the first value (five bytes at most)
          expect(bytes.length - alone.length).toBeLessThanOrEqual(8 + 2 * n);
          expect(decodeSamples(bytes).channels.altitude).toEqual(altitude);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stores Garmin positions (semicircles in degrees) in under 3 bytes a coordinate at 1 Hz', () => {
    const n = 3600;
    let lat = Math.round(45 / SEMICIRCLE);
    let lng = Math.round(5 / SEMICIRCLE);
    const latlng = Array.from({ length: n }, (_, i) => {
      lat += 300 + (i % 7) * 20;
      lng += 250 - (i % 5) * 30;
      return [lat * SEMICIRCLE, lng * SEMICIRCLE] as const;
    });
    const time = Array.from({ length: n }, (_, i) => i);
    const bytes = encodeSamples({ time, channels: { latlng } });
    const alone = encodeSamples({ time, channels: {} });
    expect((bytes.length - alone.length) / (2 * n)).toBeLessThan(3);
    expect(decodeSamples(bytes).channels.latlng).toEqual(latlng);
  });

  it('never reads past its input: every truncation of an encoding is refused with SampleCodecError', () => {
    fc.assert(
      fc.property(streamsArb, fc.nat(), (streams, cut) => {
        const bytes = encodeSamples(streams);
        const prefix = bytes.subarray(0, cut % bytes.length);
        expect(() => decodeSamples(prefix)).toThrow(SampleCodecError);
      }),
    );
  });

  it('refuses a channel whose length differs from time, naming it', () => {
    expect(() => encodeSamples({ time: [0, 1], channels: { heartrate: [120] } })).toThrow(/heartrate has 1/);
  });

  it('stores a typical 1 Hz hour of six channels in under 4 bytes a sample per channel (issue 14: ~1 byte)', () => {
    // a deterministic run: GPS at 1e-6°, distance and altitude at 0.1 m, speed at 0.001 m/s, HR, cadence
    const n = 3600;
    const time = Array.from({ length: n }, (_, i) => i);
    let lat = 52.520008;
    let lng = 13.404954;
    let distance = 0;
    const channels: SampleChannels = {
      latlng: [],
      distance: [],
      altitude: [],
      speed: [],
      heartrate: [],
      cadence: [],
    };
    for (let i = 0; i < n; i++) {
      const speed = Math.round((3 + Math.sin(i / 50)) * 1000) / 1000;
      distance = Math.round((distance + speed) * 10) / 10;
      lat = Math.round((lat + 0.00002 * Math.cos(i / 300)) * 1e6) / 1e6;
      lng = Math.round((lng + 0.00003 * Math.sin(i / 300)) * 1e6) / 1e6;
      channels.latlng?.push([lat, lng]);
      channels.distance?.push(distance);
      channels.altitude?.push(Math.round((34 + 5 * Math.sin(i / 400)) * 10) / 10);
      channels.speed?.push(speed);
      channels.heartrate?.push(140 + Math.round(10 * Math.sin(i / 120)));
      channels.cadence?.push(85 + (i % 3));
    }
    const bytes = encodeSamples({ time, channels });
    // time + six channels (latlng counts as one channel of two numbers)
    expect(bytes.length / n / 7).toBeLessThan(1.5);
    expect(decodeSamples(bytes).channels.speed?.[1234]).toBe(channels.speed?.[1234]);
  });
});
