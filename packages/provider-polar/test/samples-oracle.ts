import { type ActivityStreams, decodeSamples, encodeSamples, parseIsoDuration } from '@trainlytics/core';
import { expect } from 'vitest';
import { CHANNEL_OF_TYPE } from '../src/sandbox/generate-samples';

/**
 * Which sample types have a channel (speed in km/h): the sandbox's reading of the AccessLink reference
 * (appendix "Exercise sample types"), not the plugin's.
 */
const CHANNEL: Record<string, string> = CHANNEL_OF_TYPE;

export interface WireSample {
  'recording-rate': number | null;
  'sample-type': string;
  data: string;
}
export interface WirePoint {
  latitude: number;
  longitude: number;
  time: string;
}

/** The series that must land in a channel: the first non-empty one of each channel. */
export function channelSeries(samples: readonly WireSample[]): Map<string, WireSample> {
  const used = new Map<string, WireSample>();
  for (const s of samples) {
    const channel = CHANNEL[s['sample-type']];
    if (channel && s.data !== '' && !used.has(channel)) used.set(channel, s);
  }
  return used;
}

const decimalsOf = (text: string) => text.split('.')[1]?.length ?? 0;

/**
 * Checks `streams` against what Polar sent: channels aligned with `time`, every sample at `i × rate`
 * (speed given back by `round(m/s × 3.6, decimals)`), every route point within half a recording interval
 * of its offset, and a lossless round trip through core's sample codec.
 */
export function expectSamplesKept(
  wire: { samples: readonly WireSample[]; route: readonly WirePoint[] },
  streams: Pick<ActivityStreams, 'time' | 'channels'>,
): void {
  const used = channelSeries(wire.samples);
  const { time, channels } = streams;
  for (const values of Object.values(channels)) expect(values).toHaveLength(time.length);
  for (let i = 1; i < time.length; i++) expect(time[i]!).toBeGreaterThanOrEqual(time[i - 1]!);
  expect(Object.keys(channels).sort()).toEqual(
    [...used.keys(), ...(wire.route.length > 0 ? ['latlng'] : [])].sort(),
  );
  const at = new Map<number, number>();
  time.forEach((t, i) => {
    if (!at.has(t)) at.set(t, i);
  });
  for (const [channel, s] of used) {
    const tokens = s.data.split(',');
    const decimals = Math.max(...tokens.map(decimalsOf));
    const column = (channels as Record<string, Array<number | null>>)[channel]!;
    const stored = tokens.map((_, i) => {
      const value = column[at.get(i * s['recording-rate']!) ?? -1];
      if (channel !== 'speed' || value === null || value === undefined) return value;
      return Math.round(value * 3.6 * 10 ** decimals) / 10 ** decimals;
    });
    const expected = tokens.map((token) => (/^(|null)$/i.test(token.trim()) ? null : Number(token)));
    expect(stored, channel).toEqual(expected);
  }
  const placed = (channels.latlng ?? [])
    .map((p, i) => (p ? { p, t: time[i]! } : null))
    .filter((x) => x !== null);
  expect(placed).toHaveLength(wire.route.length);
  // every route point, at its offset or within half a recording interval of it
  const step = Math.min(...[...used.values()].map((s) => s['recording-rate']!));
  const byPosition = new Map<string, number[]>();
  for (const { p, t } of placed) {
    const key = `${p[0]},${p[1]}`;
    byPosition.set(key, [...(byPosition.get(key) ?? []), t]);
  }
  const misplaced = wire.route.filter((point) => {
    const times = byPosition.get(`${point.latitude},${point.longitude}`) ?? [];
    const t = parseIsoDuration(point.time)!;
    const i = times.findIndex((at) => Math.abs(at - t) <= step / 2 + 1e-9);
    if (i >= 0) times.splice(i, 1);
    return i < 0;
  });
  expect(misplaced).toEqual([]);
  expect(decodeSamples(encodeSamples(streams))).toEqual({ time, channels });
}
