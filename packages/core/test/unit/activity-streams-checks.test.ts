import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ActivityStreams,
  createLap,
  SAMPLE_CHANNEL_NAMES,
  type SampleChannelName,
  type SampleChannels,
} from '../../src/model/activity-streams';
import { activityStreamsViolations } from '../../src/testing/activity-streams-checks';

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** A physically plausible recording: 1–7 s sampling, a pause, any subset of the channels, gaps. */
const recordingArb = fc
  .record({
    n: fc.integer({ min: 60, max: 400 }),
    steps: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 400, maxLength: 400 }),
    pause: fc.integer({ min: 0, max: 900 }),
    speed: fc.double({ min: 1.5, max: 12, noNaN: true }),
    base: fc.tuple(
      fc.double({ min: 1, max: 60, noNaN: true }),
      fc.double({ min: -170, max: 170, noNaN: true }),
    ),
    channels: fc.subarray([...SAMPLE_CHANNEL_NAMES], { minLength: 0 }),
    gapEvery: fc.integer({ min: 11, max: 97 }),
  })
  .map(({ n, steps, pause, speed, base, channels, gapEvery }) => {
    const time: number[] = [];
    let t = 0;
    for (let i = 0; i < n; i++) {
      if (i === Math.floor(n / 2)) t += pause + 1;
      time.push(t);
      t += steps[i] as number;
    }
    let d = 0;
    const distance: number[] = [];
    const speeds: number[] = [];
    time.forEach((ti, i) => {
      const v = round(speed * (1 + 0.1 * Math.sin(i / 9)), 3);
      const dt = i === 0 ? 0 : ti - (time[i - 1] as number);
      if (dt <= 30) d += v * dt;
      speeds.push(v);
      distance.push(round(d, 1));
    });
    const all: SampleChannels = {
      latlng: distance.map((m) => [round(base[0] + m / 111_320, 6), round(base[1] + m / 73_000, 6)] as const),
      distance,
      altitude: distance.map((m) => round(120 + 20 * Math.sin(m / 900), 1)),
      speed: speeds,
      heartrate: time.map((_, i) => 120 + (i % 40)),
      cadence: time.map((_, i) => 80 + (i % 9)),
      power: time.map((_, i) => (i % gapEvery === 3 ? null : 150 + (i % 60))),
      temperature: time.map((_, i) => 12 + Math.floor(i / 100)),
      moving: time.map((_, i) => i !== Math.floor(n / 2)),
      grade: distance.map((m) => round(3 * Math.cos(m / 900), 1)),
    };
    const channels_: SampleChannels = {};
    for (const name of channels) (channels_ as Record<string, unknown>)[name] = all[name];
    const streams: ActivityStreams = {
      time,
      channels: channels_,
      laps: [createLap({ startOffsetS: 0, elapsedTimeS: time.at(-1) as number, averageHeartrate: 140 })],
      route: null,
      raw: { streams: { time: { series_type: 'time', original_size: n } } },
    };
    return {
      streams,
      summary: { distanceM: distance.at(-1) as number, elapsedTimeS: time.at(-1) as number },
    };
  });

const check = (
  streams: ActivityStreams,
  truth: ActivityStreams,
  summary: { distanceM: number; elapsedTimeS: number },
) => activityStreamsViolations(streams, { recorded: truth, summary });

/** A copy with one channel replaced. */
function withChannel(
  s: ActivityStreams,
  name: SampleChannelName,
  values: unknown[] | undefined,
): ActivityStreams {
  const channels = { ...s.channels } as Record<string, unknown>;
  if (values === undefined) delete channels[name];
  else channels[name] = values;
  return { ...s, channels: channels as SampleChannels };
}

describe('activityStreamsViolations (the detail suite’s checks)', () => {
  it('accepts any plausible recording returned as recorded', () => {
    fc.assert(
      fc.property(recordingArb, ({ streams, summary }) => {
        expect(check(structuredClone(streams), streams, summary)).toEqual([]);
      }),
    );
  });

  // each planted mapping bug a plugin could have is reported
  const planted: Array<[string, (s: ActivityStreams) => ActivityStreams | null, RegExp]> = [
    [
      'a recorded channel dropped',
      (s) => {
        const [name] = Object.keys(s.channels) as SampleChannelName[];
        return name ? withChannel(s, name, undefined) : null;
      },
      /recorded channels missing/,
    ],
    [
      'a channel the device lacks zero-filled',
      (s) => {
        const name = (['heartrate', 'power', 'cadence', 'speed'] as const).find((c) => !s.channels[c]);
        return name
          ? withChannel(
              s,
              name,
              s.time.map(() => 0),
            )
          : null;
      },
      /did not record/,
    ],
    [
      'a channel shifted by one sample (misaligned)',
      (s) => {
        const name = (['distance', 'heartrate', 'cadence', 'altitude', 'latlng'] as const).find(
          (c) => s.channels[c],
        );
        const values = name ? (s.channels[name] as unknown[]) : null;
        return name && values ? withChannel(s, name, [...values.slice(1), values.at(-1)]) : null;
      },
      /misaligned/,
    ],
    [
      'a channel one sample short',
      (s) => {
        const name = (Object.keys(s.channels) as SampleChannelName[])[0];
        return name ? withChannel(s, name, (s.channels[name] as unknown[]).slice(1)) : null;
      },
      /not time-aligned/,
    ],
    [
      'speed in km/h',
      (s) =>
        s.channels.speed
          ? withChannel(
              s,
              'speed',
              s.channels.speed.map((v) => (v === null ? v : v * 3.6)),
            )
          : null,
      /speed/,
    ],
    [
      'latitude and longitude swapped',
      (s) =>
        s.channels.latlng
          ? withChannel(
              s,
              'latlng',
              s.channels.latlng.map((p) => (p === null ? p : [p[1], p[0]])),
            )
          : null,
      /latlng/,
    ],
    [
      'time out of order',
      (s) => ({ ...s, time: [s.time[1] as number, s.time[0] as number, ...s.time.slice(2)] }),
      /goes back/,
    ],
    [
      'sample arrays kept in raw',
      (s) => ({ ...s, raw: { streams: { time: { data: s.time } } } }),
      /raw keeps/,
    ],
  ];

  for (const [bug, plant, message] of planted) {
    it(`reports ${bug}`, () => {
      fc.assert(
        fc.property(recordingArb, ({ streams, summary }) => {
          const broken = plant(structuredClone(streams));
          fc.pre(broken !== null);
          const violations = check(broken as ActivityStreams, streams, summary);
          expect(
            violations.some((v) => message.test(v)),
            violations.join('\n'),
          ).toBe(true);
        }),
      );
    });
  }

  it('reports values outside physical ranges even when the sandbox recorded them so', () => {
    fc.assert(
      fc.property(recordingArb, ({ streams, summary }) => {
        fc.pre(streams.channels.heartrate !== undefined);
        const zeros = withChannel(
          streams,
          'heartrate',
          streams.time.map(() => 0),
        );
        const violations = check(zeros, zeros, summary);
        expect(violations.some((v) => /heartrate.*outside|all zeros/.test(v))).toBe(true);
      }),
    );
  });
});
