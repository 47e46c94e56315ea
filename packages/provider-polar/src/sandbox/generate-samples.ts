import type { ActivityStreams, SampleChannels } from '@trainlytics/core';
import type { ExerciseFacts } from './polar-history';
import { hash32, randomFor } from './sandbox-random';

/**
 * What the sandbox adds to `GET /v3/exercises/{id}` for `samples=true`, `zones=true` and `route=true`,
 * generated from the exercise alone (same exercise, same samples). Written from the AccessLink reference
 * (schemas `sample`, `location`, `zone`; appendix "Exercise sample types"), not from the plugin:
 *
 * - `samples`: `{ "recording-rate": 1, "sample-type": "0", "data": "112,113,,NULL,115" }`, one per type the
 *   device recorded: 0 heart rate (bpm), 1 speed (km/h), 2 cadence (rpm), 3 altitude (m), 4 power (W),
 *   8 running cadence (spm), 9 temperature (°C), 10 distance (m), 11 RR intervals (ms, recording rate
 *   null). A few thousand samples an hour (1 s, or 2 s on some devices).
 * - gaps: a heart-rate strap losing contact (empty entries and `NULL`), power-meter dropouts (`NULL`);
 * - a pause: a stop at a crossing, speed 0 and the heart rate falling, the recording going on;
 * - devices without power or cadence; indoor exercises (no `has_route`) without route or altitude;
 * - a manual entry (one in twelve: index 5, 17, …) has no samples at all;
 * - `route`: a point about every second at a millisecond offset (`PT210.026S`), with a stretch of lost
 *   GPS signal, `satellites` and `fix`.
 */
export interface SandboxExerciseDetail {
  samples: Array<{ 'recording-rate': number | null; 'sample-type': string; data: string }>;
  route: Array<{ latitude: number; longitude: number; time: string; satellites: number; fix: number }>;
  heart_rate_zones: Array<{ index: number; 'lower-limit': number; 'upper-limit': number; 'in-zone': string }>;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const text = (values: Array<number | null>, gap: (i: number) => string) =>
  values.map((v, i) => (v === null ? gap(i) : String(v))).join(',');

/** Whether the generated exercise is a manual entry (no samples, no route): one in twelve, from the 6th. */
export function isManualEntry(facts: ExerciseFacts): boolean {
  return facts.index % 12 === 5;
}

export function generateExerciseDetail(facts: ExerciseFacts): SandboxExerciseDetail {
  if (isManualEntry(facts)) return { samples: [], route: [], heart_rate_zones: [] };
  const random = randomFor(hash32(facts.hashedId), 17);
  const rate = random() < 0.8 ? 1 : 2;
  const n = Math.floor(facts.durationSeconds / rate) + 1;
  const running = facts.sport === 'RUNNING';
  const cycling = facts.sport === 'CYCLING';
  const moving = facts.distance !== null;
  const meanSpeed = moving ? facts.distance! / Math.max(1, facts.durationSeconds) : 0; // m/s
  const pauseStart = Math.floor(n * (0.3 + random() * 0.4));
  const pauseEnd = pauseStart + Math.floor((30 + random() * 90) / rate);
  const dropStart = Math.floor(n * random() * 0.8);
  const dropEnd = dropStart + Math.floor((10 + random() * 40) / rate);
  const hasCadence = running ? random() < 0.7 : cycling && random() < 0.5;
  const hasPower = cycling && random() < 0.5;
  const hasTemperature = random() < 0.3;
  const hasRr = facts.heartRate !== null && facts.device === 'Polar H10' && random() < 0.7;
  const baseAltitude = 20 + random() * 400;

  const heart: Array<number | null> = [];
  const speed: number[] = [];
  const distance: number[] = [];
  const altitude: number[] = [];
  const cadence: number[] = [];
  const power: Array<number | null> = [];
  const temperature: number[] = [];
  let travelled = 0;
  let hr = facts.heartRate ? facts.heartRate.average - 30 : 0;
  for (let i = 0; i < n; i++) {
    const paused = i >= pauseStart && i < pauseEnd;
    const v = paused ? 0 : Math.max(0, meanSpeed * (1 + 0.12 * Math.sin(i / 70) + 0.06 * (random() - 0.5)));
    travelled += v * rate;
    speed.push(round(v * 3.6, 1));
    distance.push(round(travelled, 1));
    altitude.push(round(baseAltitude + 15 * Math.sin(travelled / 900) + 4 * Math.sin(travelled / 130), 1));
    if (facts.heartRate) {
      const target = paused ? facts.heartRate.average - 25 : facts.heartRate.average + 8 * Math.sin(i / 300);
      hr += (target - hr) * 0.05 + (random() - 0.5);
      heart.push(i >= dropStart && i < dropEnd ? null : Math.round(hr));
    }
    cadence.push(paused ? 0 : Math.round((running ? 84 : 88) + 6 * (random() - 0.5)));
    const watts = paused ? 0 : Math.round(180 + 60 * Math.sin(i / 120) + 20 * (random() - 0.5));
    power.push(random() < 0.01 ? null : watts);
    temperature.push(round(18 + 3 * Math.sin(i / 2000), 1));
  }

  const samples: SandboxExerciseDetail['samples'] = [];
  const add = (type: string, values: Array<number | null>, gap: (i: number) => string = () => 'NULL') =>
    samples.push({ 'recording-rate': rate, 'sample-type': type, data: text(values, gap) });
  if (facts.heartRate) add('0', heart, (i) => (i % 2 === 0 ? '' : 'NULL'));
  if (moving) {
    add('1', speed);
    add('10', distance);
  }
  if (facts.hasRoute) add('3', altitude);
  if (hasCadence) add(running ? '8' : '2', cadence);
  if (hasPower) add('4', power);
  if (hasTemperature) add('9', temperature);
  if (hasRr) {
    const beats = Array.from({ length: 600 }, (_, i) => (i % 97 === 50 ? null : 480 + ((i * 37) % 120)));
    samples.push({ 'recording-rate': null, 'sample-type': '11', data: text(beats, () => 'NULL') });
  }

  const route: SandboxExerciseDetail['route'] = [];
  if (facts.hasRoute) {
    const heading = random() * Math.PI * 2;
    const lat0 = 60.1699 + (hash32(facts.hashedId) % 1000) / 10_000;
    const lng0 = 24.9384 + (hash32(`lng:${facts.hashedId}`) % 1000) / 10_000;
    const lostStart = Math.floor(n * 0.6);
    const lostEnd = lostStart + Math.floor(25 / rate);
    const offsetMs = 1 + Math.floor(random() * 900);
    for (let i = 0; i < n; i++) {
      if (i >= lostStart && i < lostEnd) continue; // no fix in the tunnel
      const d = distance[i]!;
      const bearing = heading + Math.sin(d / 700);
      const seconds = i * rate + (i === 0 ? 0 : offsetMs / 1000);
      route.push({
        latitude: round(lat0 + (d / 111_320) * Math.cos(bearing), 8),
        longitude: round(lng0 + (d / 55_800) * Math.sin(bearing), 8),
        time: `PT${round(seconds, 3)}S`,
        satellites: 6 + (i % 7),
        fix: i < 3 ? 2 : 3,
      });
    }
  }

  const heart_rate_zones: SandboxExerciseDetail['heart_rate_zones'] = [];
  if (facts.heartRate) {
    const quarter = Math.floor(facts.durationSeconds / 5);
    for (let index = 1; index <= 5; index++) {
      heart_rate_zones.push({
        index,
        'lower-limit': 90 + index * 18,
        'upper-limit': 108 + index * 18,
        'in-zone': `PT${quarter}S`,
      });
    }
  }
  return { samples, route, heart_rate_zones };
}

/**
 * Sample types with a channel in core's model (AccessLink appendix "Exercise sample types"; speed in km/h),
 * the sandbox's own reading of the reference (the plugin has its own): RR intervals (11) and the rest have none.
 */
export const CHANNEL_OF_TYPE: Record<string, Exclude<keyof SampleChannels, 'latlng' | 'moving' | 'grade'>> = {
  '0': 'heartrate',
  '1': 'speed',
  '2': 'cadence',
  '3': 'altitude',
  '4': 'power',
  '8': 'cadence',
  '9': 'temperature',
  '10': 'distance',
};

/**
 * What a served exercise detail recorded, in core's channel names and units (for the provider detail
 * suite, `SandboxStreamsControl`), read from the served samples and route as ADR 0034 documents their
 * normalization — the parts that are a documented rule rather than a plain unit:
 * - sample `i` of a series is at `i × recording-rate` seconds; an empty or `NULL` entry is a gap (null);
 * - speed is served in km/h with one decimal: in m/s it carries two (`round(km/h ÷ 3.6, 2)`, so that
 *   `× 3.6` rounded to one decimal gives Polar's value back);
 * - a route point sits on the nearest sample instant within half a recording interval that has no point
 *   yet (the earlier instant on a tie), else on an instant of its own (its offset to the millisecond),
 *   where the series have no value. Null for a manual entry (no samples, no route).
 */
export function recordedExerciseSamples(
  detail: SandboxExerciseDetail,
): Pick<ActivityStreams, 'time' | 'channels'> | null {
  if (detail.samples.length === 0 && detail.route.length === 0) return null;
  const series = detail.samples.flatMap((s) => {
    const channel = CHANNEL_OF_TYPE[s['sample-type']];
    if (!channel || s['recording-rate'] === null) return [];
    const values = s.data.split(',').map((v) => (v === '' || v === 'NULL' ? null : Number(v)));
    const inUnits =
      channel === 'speed'
        ? values.map((v) => (v === null ? null : Math.round((v / 3.6) * 100) / 100))
        : values;
    return [{ channel, rate: s['recording-rate'], values: inUnits }];
  });
  const instants = [...new Set(series.flatMap((s) => s.values.map((_, i) => i * s.rate)))].sort(
    (a, b) => a - b,
  );
  // every series is recorded at one rate (see generateExerciseDetail): the instants are its multiples
  const step = Math.min(...series.map((s) => s.rate));
  const isInstant = new Set(instants);
  const onInstant = new Map<number, readonly [number, number]>();
  const own: Array<{ t: number; point: readonly [number, number] }> = [];
  for (const p of detail.route) {
    const t = Math.round(Number(/^PT([\d.]+)S$/.exec(p.time)?.[1]) * 1000) / 1000;
    const point = [p.latitude, p.longitude] as const;
    const below = Math.floor(t / step) * step;
    const nearest = [below, below + step]
      .filter((u) => isInstant.has(u) && Math.abs(u - t) <= step / 2)
      .sort((a, b) => Math.abs(a - t) - Math.abs(b - t) || a - b)[0];
    if (nearest !== undefined && !onInstant.has(nearest)) onInstant.set(nearest, point);
    else own.push({ t, point });
  }
  const rows = [
    ...instants.map((t) => ({ t, sample: true, point: onInstant.get(t) ?? null })),
    ...own.map(({ t, point }) => ({ t, sample: false, point })),
  ].sort((a, b) => a.t - b.t || Number(b.sample) - Number(a.sample));
  const channels: SampleChannels = {};
  for (const { channel, rate, values } of series) {
    if (channels[channel] !== undefined) continue; // a second series of a type stays in raw
    channels[channel] = rows.map((row) =>
      row.sample && row.t % rate === 0 ? (values[row.t / rate] ?? null) : null,
    );
  }
  if (detail.route.length > 0) channels.latlng = rows.map((row) => row.point);
  return { time: rows.map((row) => row.t), channels };
}
