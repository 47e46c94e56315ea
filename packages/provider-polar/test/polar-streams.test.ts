import { decodeSamples, encodeSamples, ValidationError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import example from '../src/__fixtures__/exercise-with-samples.json';
import { encodePolyline, mapPolarStreams, polarExerciseDetailSchema } from '../src/polar-streams';

const activity = { providerActivityId: '2AC312F', startDate: new Date('2008-10-13T07:40:02Z'), raw: {} };
const map = (payload: unknown) => mapPolarStreams(activity, polarExerciseDetailSchema.parse(payload));
const sample = (type: string, data: string, rate: number | null = 1) => ({
  'recording-rate': rate,
  'sample-type': type,
  data,
});

describe('mapPolarStreams', () => {
  it('maps the AccessLink reference example (Get exercise, samples=true&route=true)', () => {
    const streams = map(example)!;
    // speed every 5 s, in km/h → m/s to one more decimal than Polar wrote (none)
    const grid = Array.from({ length: 27 }, (_, i) => i * 5);
    expect(streams.time).toEqual([...grid, 210.026]);
    expect(streams.channels.speed).toEqual([
      0,
      27.8,
      28.3,
      26.9,
      26.9,
      28.1,
      28.6,
      29.4,
      26.7,
      24.7,
      24.4,
      24.2,
      27.2,
      30,
      31.4,
      31.1,
      31.7,
      31.9,
      32.8,
      33.6,
      33.6,
      33.6,
      33.6,
      34.2,
      32.5,
      33.1,
      33.9,
      null,
    ]);
    // the one route point is 80 s after the last sample: an instant of its own, nothing else there
    expect(streams.channels.latlng).toEqual([...grid.map(() => null), [60.21982833, 25.13925]]);
    expect(Object.keys(streams.channels).sort()).toEqual(['latlng', 'speed']);
    expect(streams.route).toEqual({ polyline: '}tpnJi_mxC', resolution: 'full' });
    expect(streams.laps).toEqual([]);
    expect(streams.raw).toMatchObject({
      samples: [{ 'recording-rate': 5, 'sample-type': '1' }],
      routePoints: 1,
      speedDecimals: 0,
      exercise: { id: '2AC312F', heart_rate_zones: [{ index: 1, 'in-zone': 'PT4S' }], 'running-index': 51 },
    });
    // the sample arrays are stored once, in the channels, not again in raw
    expect(JSON.stringify(streams.raw)).not.toContain('0,100,102');
    expect(JSON.stringify(streams.raw)).not.toContain('60.21982833');
    // Polar's km/h come back exactly: round(m/s × 3.6, speedDecimals)
    const kmh = example.samples[0]!.data.split(',').map(Number);
    expect(streams.channels.speed!.slice(0, 27).map((v) => Math.round(v! * 3.6))).toEqual(kmh);
    expect(decodeSamples(encodeSamples(streams))).toEqual({ time: streams.time, channels: streams.channels });
  });

  it('encodes polylines as Google documents them', () => {
    // https://developers.google.com/maps/documentation/utilities/polylinealgorithm
    const points = [
      { latitude: 38.5, longitude: -120.2 },
      { latitude: 40.7, longitude: -120.95 },
      { latitude: 43.252, longitude: -126.453 },
    ];
    expect(encodePolyline(points)).toBe('_p~iF~ps|U_ulLnnqC_mqNvxq`@');
  });

  it('keeps empty and NULL entries as gaps, and leaves out channels the device lacks', () => {
    const streams = map({
      samples: [sample('0', '112,,NULL,null,115'), sample('10', '0,2.5,5,7.5,10')],
    })!;
    expect(streams.time).toEqual([0, 1, 2, 3, 4]);
    expect(streams.channels).toEqual({
      heartrate: [112, null, null, null, 115],
      distance: [0, 2.5, 5, 7.5, 10],
    });
    expect(streams.route).toBeNull();
  });

  it('maps every documented sample type with a channel, in its unit', () => {
    const streams = map({
      samples: [
        sample('0', '120'),
        sample('1', '36.25'),
        sample('2', '90'),
        sample('3', '101.5'),
        sample('4', '250'),
        sample('9', '21.5'),
        sample('10', '12.3'),
      ],
    })!;
    expect(streams.channels).toEqual({
      heartrate: [120],
      speed: [10.069],
      cadence: [90],
      altitude: [101.5],
      power: [250],
      temperature: [21.5],
      distance: [12.3],
    });
    expect(Math.round(10.069 * 3.6 * 100) / 100).toBe(36.25);
    expect(map({ samples: [sample('8', '172')] })!.channels).toEqual({ cadence: [172] });
  });

  it('aligns series of different recording rates on one time axis, gaps where a series has no sample', () => {
    const streams = map({ samples: [sample('0', '120,121,122,123', 1), sample('3', '50,52', 2)] })!;
    expect(streams.time).toEqual([0, 1, 2, 3]);
    expect(streams.channels.heartrate).toEqual([120, 121, 122, 123]);
    expect(streams.channels.altitude).toEqual([50, null, 52, null]);
  });

  it('puts route points on the nearest sample instant, or on their own when off the samples', () => {
    const streams = map({
      samples: [sample('0', '100,101,102,103')],
      route: [
        { latitude: 60, longitude: 25, time: 'PT0S' },
        { latitude: 60.1, longitude: 25.1, time: 'PT1.026S' },
        { latitude: 60.2, longitude: 25.2, time: 'PT1.4S' }, // the same instant already has a point
        { latitude: 60.3, longitude: 25.3, time: 'PT1M0.5S' }, // after the samples end
      ],
    })!;
    expect(streams.time).toEqual([0, 1, 1.4, 2, 3, 60.5]);
    expect(streams.channels.latlng).toEqual([[60, 25], [60.1, 25.1], [60.2, 25.2], null, null, [60.3, 25.3]]);
    expect(streams.channels.heartrate).toEqual([100, 101, null, 102, 103, null]);
  });

  it('keeps series without a channel whole in raw (RR intervals, pedaling index, a second cadence)', () => {
    const rr = sample('11', '512,NULL,498', null);
    const balance = sample('6', '49,51');
    const running = sample('8', '170,171');
    const streams = map({ samples: [sample('2', '88,89'), running, rr, balance] })!;
    expect(streams.channels).toEqual({ cadence: [88, 89] });
    expect(streams.raw).toMatchObject({
      samples: [{ 'sample-type': '2', 'recording-rate': 1 }, running, rr, balance],
    });
    expect((streams.raw as { samples: Array<Record<string, unknown>> }).samples[0]).not.toHaveProperty(
      'data',
    );
  });

  it('reads snake_case sample keys and numeric sample types', () => {
    const streams = map({ samples: [{ recording_rate: 2, sample_type: 0, data: '90,91' }] })!;
    expect(streams).toMatchObject({ time: [0, 2], channels: { heartrate: [90, 91] } });
  });

  it('has nothing for a manual entry (no samples, no route)', () => {
    expect(map({ id: 'x', duration: 'PT1H' })).toBeNull();
    expect(map({ samples: [], route: [] })).toBeNull();
    expect(map({ samples: [sample('0', '')] })).toBeNull();
  });

  it('reads laps where Polar gives them, each starting where the previous ended', () => {
    const streams = map({
      samples: [sample('0', '100')],
      laps: [
        { duration: 'PT5M', distance: 1000, 'heart-rate': { average: 140, maximum: 150 } },
        { duration: 'PT4M30.5S', distance: 1000 },
      ],
    })!;
    expect(streams.laps).toMatchObject([
      { startOffsetS: 0, elapsedTimeS: 300, distanceM: 1000, averageHeartrate: 140, maxHeartrate: 150 },
      { startOffsetS: 300, elapsedTimeS: 270.5, distanceM: 1000, averageHeartrate: null },
    ]);
    expect(map({ samples: [sample('0', '1')], 'auto-laps': [{ duration: 'PT1M' }] })!.laps).toHaveLength(1);
  });

  it('refuses a value that is not a number, and a series without a recording rate, with a ValidationError', () => {
    const bad = () => map({ samples: [sample('0', '120,abc,122')] });
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/sample type 0 value 1 "abc" is not a number/);
    try {
      bad();
    } catch (error) {
      expect(error).toMatchObject({ provider: 'polar', entity: 'exercise samples', itemId: '2AC312F' });
    }
    expect(() => map({ samples: [sample('0', '1,2', null)] })).toThrow(/has no recording rate/);
    expect(() => map({ samples: [sample('0', '1e3')] })).toThrow(ValidationError);
  });
});
