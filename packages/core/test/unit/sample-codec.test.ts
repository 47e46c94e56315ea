import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE_CHANNEL_NAMES, type SampleChannels } from '../../src/model/activity-streams';
import { decodeSamples, encodeSamples, SampleCodecError } from '../../src/streams/sample-codec';

/** Any double JSON can carry, plus awkward ones (subnormals, huge, many digits). */
const jsonNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 10),
  fc.integer({ min: -90_000_000, max: 90_000_000 }).map((n) => n / 1e6),
  fc.integer(),
);

function channelsArb(n: number): fc.Arbitrary<SampleChannels> {
  const numbers = fc.array(fc.option(jsonNumber, { nil: null, freq: 4 }), { minLength: n, maxLength: n });
  return fc.record(
    {
      latlng: fc.array(fc.option(fc.tuple(jsonNumber, jsonNumber), { nil: null, freq: 4 }), {
        minLength: n,
        maxLength: n,
      }),
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
    time: fc.array(fc.oneof(fc.nat(), jsonNumber), { minLength: n, maxLength: n }),
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
      { numRuns: 150 },
    );
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
