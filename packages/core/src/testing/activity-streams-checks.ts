import {
  type ActivityStreams,
  SAMPLE_CHANNEL_NAMES,
  type SampleChannelName,
} from '../model/activity-streams';
import type { JsonValue } from '../model/json';

/**
 * What a channel's values may physically be in core's normalized units (`model/activity-streams.ts`):
 * wide enough for any athlete, narrow enough that a unit slip (km/h for m/s, semicircles or radians for
 * degrees, millimetres for metres) or a zero-fill lands outside.
 */
export const CHANNEL_RANGES = {
  distance: { min: 0, max: 1_000_000, unit: 'm' },
  altitude: { min: -500, max: 9_000, unit: 'm' },
  speed: { min: 0, max: 60, unit: 'm/s' },
  heartrate: { min: 25, max: 250, unit: 'bpm' },
  cadence: { min: 0, max: 300, unit: 'rpm' },
  power: { min: 0, max: 3_000, unit: 'W' },
  temperature: { min: -50, max: 60, unit: '°C' },
  grade: { min: -100, max: 100, unit: '%' },
} as const satisfies Partial<Record<SampleChannelName, { min: number; max: number; unit: string }>>;

/** Channels whose values are never all zero in a real recording: all zeros means filled, not recorded. */
const NEVER_ALL_ZERO: readonly SampleChannelName[] = [
  'latlng',
  'distance',
  'speed',
  'heartrate',
  'cadence',
  'power',
];

/** What the sandbox recorded, and the stored summary of the activity. */
export interface StreamsExpectation {
  /**
   * The recording in core's names and units, as the plugin should return it: `time` and exactly the
   * channels the device recorded (`null` where it recorded the sample without that value).
   */
  recorded: Pick<ActivityStreams, 'time' | 'channels'>;
  /** The activity's stored summary, to check the samples' units against (skipped where null). */
  summary?: { distanceM: number | null; elapsedTimeS: number | null };
}

/**
 * Every way the streams break the model's contract for the expected recording, as readable lines (empty
 * when they hold): time-aligned channels, `time` non-decreasing from ≥ 0, exactly the recorded channels
 * (none dropped, none absent-but-filled with zeros or nulls), values within `CHANNEL_RANGES`, distance
 * non-decreasing and consistent with the speed channel and the summary, laps inside the activity, and
 * `raw` without the sample arrays. The provider detail suite asserts it is empty; it is exported so a
 * plugin's own tests can show that a planted mapping bug is caught.
 */
export function activityStreamsViolations(streams: ActivityStreams, expected: StreamsExpectation): string[] {
  const out: string[] = [];
  const { time, channels } = streams;
  const n = time.length;
  const recordedChannels = SAMPLE_CHANNEL_NAMES.filter((c) => expected.recorded.channels[c] !== undefined);
  if (n !== expected.recorded.time.length) {
    out.push(`time has ${n} samples, the recording ${expected.recorded.time.length}`);
  }
  time.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) out.push(`time[${i}] = ${t} is not ≥ 0`);
    else if (i > 0 && t < (time[i - 1] as number))
      out.push(`time[${i}] = ${t} goes back from ${time[i - 1]}`);
  });

  const present = SAMPLE_CHANNEL_NAMES.filter((name) => channels[name] !== undefined);
  const unknown = Object.keys(channels).filter(
    (k) => !(SAMPLE_CHANNEL_NAMES as readonly string[]).includes(k),
  );
  if (unknown.length > 0) out.push(`unknown channels: ${unknown.join(', ')}`);
  const missing = recordedChannels.filter((c) => !present.includes(c));
  const extra = present.filter((c) => !recordedChannels.includes(c));
  if (missing.length > 0) out.push(`recorded channels missing: ${missing.join(', ')}`);
  if (extra.length > 0) out.push(`channels the device did not record are present: ${extra.join(', ')}`);

  for (const name of present) {
    const values = channels[name] as unknown[];
    if (!Array.isArray(values)) {
      out.push(`${name} is not an array`);
      continue;
    }
    if (values.length !== n) out.push(`${name} has ${values.length} samples, time ${n}: not time-aligned`);
    const filled = values.filter((v) => v !== null);
    if (filled.length === 0) out.push(`${name} has no value at all: a channel not recorded is left out`);
    out.push(...valueViolations(name, values));
    const zero = filled.every((v) => (Array.isArray(v) ? v[0] === 0 && v[1] === 0 : v === 0));
    if (filled.length > 0 && zero && NEVER_ALL_ZERO.includes(name)) {
      out.push(`${name} is all zeros: zero-filled, not recorded`);
    }
  }
  out.push(...differences('time', time, expected.recorded.time));
  for (const name of present.filter((c) => recordedChannels.includes(c))) {
    out.push(
      ...differences(name, channels[name] as unknown[], expected.recorded.channels[name] as unknown[]),
    );
  }
  out.push(...consistencyViolations(streams, expected));
  out.push(...lapViolations(streams));
  if (n > 10 && holdsArrayOfLength(streams.raw, n)) {
    out.push(`raw keeps an array of ${n} entries: the sample arrays belong in time/channels only`);
  }
  return out;
}

/** Equal up to floating-point rounding (a unit conversion done in another order), else the first few indices. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  return a === b;
}

function differences(name: string, values: unknown[], recorded: unknown[]): string[] {
  const out: string[] = [];
  const n = Math.min(values.length, recorded.length);
  for (let i = 0; i < n && out.length < 3; i++) {
    if (!same(values[i], recorded[i])) {
      out.push(
        `${name}[${i}] = ${JSON.stringify(values[i])} but the device recorded ${JSON.stringify(recorded[i])}: misaligned or converted wrongly`,
      );
    }
  }
  return out;
}

function valueViolations(name: SampleChannelName, values: unknown[]): string[] {
  const out: string[] = [];
  const report = (i: number, why: string) => {
    if (out.length < 5) out.push(`${name}[${i}] ${why}`);
  };
  values.forEach((v, i) => {
    if (v === null) return;
    if (name === 'moving') {
      if (typeof v !== 'boolean') report(i, `= ${JSON.stringify(v)} is not a boolean`);
      return;
    }
    if (name === 'latlng') {
      const ok =
        Array.isArray(v) &&
        v.length === 2 &&
        Number.isFinite(v[0]) &&
        Number.isFinite(v[1]) &&
        Math.abs(v[0]) <= 90 &&
        Math.abs(v[1]) <= 180;
      if (!ok) report(i, `= ${JSON.stringify(v)} is not [latitude, longitude] in degrees`);
      else if (v[0] === 0 && v[1] === 0) report(i, '= [0, 0]: a missing fix is null, not null island');
      return;
    }
    const range = CHANNEL_RANGES[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) report(i, `= ${JSON.stringify(v)} is not a number`);
    else if (v < range.min || v > range.max) {
      report(i, `= ${v} is outside ${range.min}–${range.max} ${range.unit}`);
    }
  });
  if (name === 'distance') {
    let last = Number.NEGATIVE_INFINITY;
    values.forEach((v, i) => {
      if (typeof v !== 'number') return;
      if (v < last) report(i, `= ${v} goes back from ${last}: distance is cumulative`);
      last = Math.max(last, v);
    });
  }
  return out;
}

/** Units cross-checked: the speed channel integrates to the distance channel, which ends near the summary's. */
function consistencyViolations(streams: ActivityStreams, expected: StreamsExpectation): string[] {
  const out: string[] = [];
  const { time } = streams;
  const { distance, speed } = streams.channels;
  const lastDistance = distance?.findLast((v) => v !== null) ?? null;
  const summaryDistance = expected.summary?.distanceM ?? null;
  if (lastDistance !== null && summaryDistance !== null && summaryDistance > 100) {
    const ratio = lastDistance / summaryDistance;
    if (ratio < 0.75 || ratio > 1.25) {
      out.push(`distance ends at ${lastDistance} m but the activity covered ${summaryDistance} m`);
    }
  }
  const elapsed = expected.summary?.elapsedTimeS ?? null;
  const lastTime = time.at(-1);
  if (elapsed !== null && lastTime !== undefined && lastTime > elapsed + 60) {
    out.push(`time ends at ${lastTime} s but the activity lasted ${elapsed} s`);
  }
  if (distance && speed) {
    // ∫ speed dt over the samples (pauses, where time jumps by more than 30 s, left out)
    let integrated = 0;
    let covered = 0;
    for (let i = 1; i < time.length; i++) {
      const dt = (time[i] as number) - (time[i - 1] as number);
      const v = speed[i];
      const d0 = distance[i - 1];
      const d1 = distance[i];
      if (dt > 30 || v === null || v === undefined || d0 == null || d1 == null) continue;
      integrated += v * dt;
      covered += d1 - d0;
    }
    if (covered > 500 && (integrated / covered < 0.7 || integrated / covered > 1.3)) {
      out.push(
        `speed integrates to ${Math.round(integrated)} m where distance covers ${Math.round(covered)} m: units differ`,
      );
    }
  }
  return out;
}

function lapViolations(streams: ActivityStreams): string[] {
  const out: string[] = [];
  const end = streams.time.at(-1) ?? 0;
  let previous = Number.NEGATIVE_INFINITY;
  streams.laps.forEach((lap, i) => {
    if (!(lap.startOffsetS >= 0 && lap.startOffsetS <= end)) {
      out.push(`lap ${i} starts at ${lap.startOffsetS} s, outside the activity (0–${end} s)`);
    }
    if (lap.startOffsetS < previous) out.push(`lap ${i} starts before lap ${i - 1}`);
    previous = lap.startOffsetS;
    for (const key of ['elapsedTimeS', 'movingTimeS', 'distanceM', 'averageSpeedMps'] as const) {
      const v = lap[key];
      if (v !== null && !(v >= 0)) out.push(`lap ${i} ${key} = ${v} is negative`);
    }
    for (const key of ['averageHeartrate', 'maxHeartrate'] as const) {
      const v = lap[key];
      const { min, max } = CHANNEL_RANGES.heartrate;
      if (v !== null && !(v >= min && v <= max))
        out.push(`lap ${i} ${key} = ${v} is outside ${min}–${max} bpm`);
    }
  });
  return out;
}

function holdsArrayOfLength(value: JsonValue, n: number): boolean {
  if (Array.isArray(value)) return value.length === n || value.some((v) => holdsArrayOfLength(v, n));
  if (value && typeof value === 'object') return Object.values(value).some((v) => holdsArrayOfLength(v, n));
  return false;
}
