import {
  type ActivityStreams,
  type ConnectionContext,
  createLap,
  encodePolyline as encodeLatLngPolyline,
  type JsonValue,
  type NormalizedLap,
  type ProviderStreamsV1,
  parseIsoDuration,
  parseJsonExact,
  type SampleChannels,
  type StreamsActivity,
  type StreamsFetchResult,
  ValidationError,
  validatePayload,
} from '@trainlytics/core';
import { z } from 'zod';
import { withConsentCheck } from './polar-error';
import type { PolarSettings } from './polar-settings';

/**
 * A Polar exercise's samples, route and laps (issue 14, ADR 0034), in one request, the documented minimum:
 * `GET /v3/exercises/{exerciseId}?samples=true&zones=true&route=true`. Polar serves it for exercises
 * uploaded in the last 30 days after the user's registration; a 404 (older, deleted, or the integer id of
 * the deprecated transactional flow) means there are none to have.
 * https://www.polar.com/accesslink-api/#get-exercise
 *
 * `samples` is a list of `{ "recording-rate": seconds, "sample-type": "1", "data": "0,100,102,…" }`, one
 * per type the device recorded (appendix "Exercise sample types"), values as a comma-separated string in
 * which an empty or `NULL` entry is a gap (the sensor was offline). `route` is a list of
 * `{ latitude, longitude, time: "PT210.026S", satellites, fix }`.
 */

const PROVIDER = 'polar';
const ENTITY = 'exercise samples';

/** Polar's sample-type codes the model has a channel for; speed arrives in km/h. */
const CHANNEL_OF: Record<string, keyof Omit<SampleChannels, 'latlng' | 'moving'>> = {
  '0': 'heartrate',
  '1': 'speed',
  '2': 'cadence',
  '3': 'altitude',
  '4': 'power',
  '8': 'cadence',
  '9': 'temperature',
  '10': 'distance',
};
const SPEED = '1';

/** A sample value: a plain decimal number (no exponent, no `NaN`), or empty / `null` for a gap. */
const VALUE = /^-?\d+(?:\.(\d+))?$/;
const GAP = /^(?:|null)$/i;

/**
 * One sample series. The reference writes the keys in kebab-case (`recording-rate`, `sample-type`);
 * snake_case is read as well (the object is kept as received). `recording-rate` is null only where it does
 * not apply (RR intervals).
 */
const rate = z.number().int().min(0).nullish();
const sampleType = z.union([z.string().regex(/^\d+$/), z.number().int().min(0)]);
const polarSampleSchema = z
  .looseObject({
    'recording-rate': rate,
    recording_rate: rate,
    'sample-type': sampleType.optional(),
    sample_type: sampleType.optional(),
    data: z.string().nullish(),
  })
  .refine((s) => s['sample-type'] !== undefined || s.sample_type !== undefined, {
    message: 'expected a sample-type',
    path: ['sample-type'],
  });

const typeOf = (s: PolarSample) => String(s['sample-type'] ?? s.sample_type);
const rateOf = (s: PolarSample) => s['recording-rate'] ?? s.recording_rate ?? null;

const polarRoutePointSchema = z.looseObject({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  time: z.string().refine((t) => (parseIsoDuration(t) ?? -1) >= 0, 'expected an ISO-8601 duration'),
  satellites: z.number().nullish(),
  fix: z.number().nullish(),
});

/** A lap, where Polar gives them (not in the reference's example; read loosely, kept whole in `raw`). */
const polarLapSchema = z.looseObject({
  duration: z.string().nullish(),
  'split-time': z.string().nullish(),
  distance: z.number().nullish(),
  'heart-rate': z.looseObject({ average: z.number().nullish(), maximum: z.number().nullish() }).nullish(),
});

export const polarExerciseDetailSchema = z.looseObject({
  samples: z.array(polarSampleSchema).nullish(),
  route: z.array(polarRoutePointSchema).nullish(),
  laps: z.array(polarLapSchema).nullish(),
  'auto-laps': z.array(polarLapSchema).nullish(),
});
export type PolarExerciseDetail = z.infer<typeof polarExerciseDetailSchema>;
type PolarSample = z.infer<typeof polarSampleSchema>;
type PolarLap = z.infer<typeof polarLapSchema>;

export function createPolarStreams(settings: PolarSettings): ProviderStreamsV1 {
  return {
    delivery: 'pull',
    requestsPerActivity: 1,
    async fetch(ctx: ConnectionContext, activity: StreamsActivity): Promise<StreamsFetchResult> {
      const response = await withConsentCheck(() =>
        ctx.http.request({
          url: `${settings.apiUrl()}/exercises/${encodeURIComponent(activity.providerActivityId)}`,
          query: { samples: true, zones: true, route: true },
          auth: 'user',
          acceptStatuses: [404],
          operation: 'get exercise samples',
          parse: parseJsonExact,
        }),
      );
      if (response.status === 404 || response.data === undefined) return { status: 'none' };
      const detail = await validatePayload(polarExerciseDetailSchema, response.data, {
        provider: PROVIDER,
        entity: ENTITY,
        itemId: activity.providerActivityId,
      });
      const streams = mapPolarStreams(activity, detail);
      return streams ? { status: 'stored', streams } : { status: 'none' };
    },
  };
}

/**
 * Normalizes an exercise's samples and route; null when it has neither (a manual entry). Throws
 * `ValidationError` for a value that is not a number or a gap, or a series without a recording rate.
 *
 * - Sample `i` of a series recorded every `r` seconds is at `i × r` seconds (Polar gives no pauses).
 * - `time` is every instant at which a series has a sample; a series without one there has a gap.
 * - Speed is converted from km/h to m/s, rounded to one more decimal than the largest Polar used (recorded
 *   in `raw.speedDecimals`): `round(v × 3.6, speedDecimals)` gives back Polar's value exactly.
 * - A route point joins the nearest sample instant within half a recording interval that has no point
 *   yet; any other point gets an instant of its own (its exact offset), so every position is kept.
 * - Series without a channel (pedaling index, left-right balance, air pressure, RR intervals, types
 *   Polar adds later) and a second series of a type are kept whole in `raw.samples`.
 */
export function mapPolarStreams(
  activity: StreamsActivity,
  detail: PolarExerciseDetail,
): ActivityStreams | null {
  const mapped = new Map<keyof SampleChannels, { rate: number; values: Array<number | null> }>();
  const rawSamples: JsonValue[] = [];
  let speedDecimals: number | null = null;
  for (const sample of detail.samples ?? []) {
    const type = typeOf(sample);
    const channel = CHANNEL_OF[type];
    if (!channel || mapped.has(channel)) {
      rawSamples.push(sample as JsonValue);
      continue;
    }
    const rate = rateOf(sample);
    if (!rate) throw malformed(activity, `sample type ${type} has no recording rate`);
    const { values, decimals } = parseValues(activity, type, sample.data ?? '');
    if (values.length === 0) {
      rawSamples.push(sample as JsonValue);
      continue;
    }
    const { data: _data, ...meta } = sample;
    rawSamples.push(meta as JsonValue);
    if (type === SPEED) {
      speedDecimals = decimals;
      const scale = 10 ** (decimals + 1);
      mapped.set(channel, {
        rate,
        values: values.map((v) => (v === null ? null : Math.round((v / 3.6) * scale) / scale)),
      });
    } else mapped.set(channel, { rate, values });
  }
  const route = detail.route ?? [];
  if (mapped.size === 0 && route.length === 0) return null;

  // the sample instants, and each series' value at them
  const instants = new Set<number>();
  for (const { rate, values } of mapped.values()) {
    for (let i = 0; i < values.length; i++) instants.add(i * rate);
  }
  const grid = [...instants].sort((a, b) => a - b);
  const step = Math.min(...[...mapped.values()].map(({ rate }) => rate));
  const { onGrid, extra } = placeRoute(grid, step, route);

  // merge the grid with the route's own instants (grid first on equal times)
  const rows: Array<{ t: number; slot: number | null; point: readonly [number, number] | null }> = [];
  let e = 0;
  for (let g = 0; g <= grid.length; g++) {
    const t = g < grid.length ? grid[g]! : Number.POSITIVE_INFINITY;
    while (e < extra.length && extra[e]!.t < t) {
      rows.push({ t: extra[e]!.t, slot: null, point: extra[e]!.point });
      e++;
    }
    if (g < grid.length) rows.push({ t, slot: g, point: onGrid[g] ?? null });
  }

  const channels: SampleChannels = {};
  const slotOf = new Map(grid.map((t, i) => [t, i]));
  for (const [channel, { rate, values }] of mapped) {
    const bySlot = new Array<number | null>(grid.length).fill(null);
    values.forEach((v, i) => {
      bySlot[slotOf.get(i * rate)!] = v;
    });
    (channels as Record<string, unknown>)[channel] = rows.map((row) =>
      row.slot === null ? null : bySlot[row.slot]!,
    );
  }
  if (route.length > 0) channels.latlng = rows.map((row) => row.point);

  const { samples: _samples, route: _route, ...exercise } = detail;
  return {
    time: rows.map((row) => row.t),
    channels,
    laps: mapPolarLaps(detail),
    route: route.length > 0 ? { polyline: encodePolyline(route), resolution: 'full' } : null,
    raw: {
      exercise: exercise as JsonValue,
      samples: rawSamples,
      routePoints: route.length,
      speedDecimals,
    },
  };
}

function parseValues(
  activity: StreamsActivity,
  type: string,
  data: string,
): { values: Array<number | null>; decimals: number } {
  if (data.trim() === '') return { values: [], decimals: 0 };
  let decimals = 0;
  const values = data.split(',').map((token, i) => {
    const text = token.trim();
    if (GAP.test(text)) return null;
    const m = VALUE.exec(text);
    if (!m)
      throw malformed(activity, `sample type ${type} value ${i} "${text.slice(0, 20)}" is not a number`);
    decimals = Math.max(decimals, m[1]?.length ?? 0);
    return Number(text);
  });
  return { values, decimals };
}

const SECONDS_ONLY = /^PT(\d+(?:\.\d+)?)S$/;

/** Seconds from the start, to the millisecond (`PT210.026S` → 210.026; `PT1H2M3.5S` too). */
function offsetSeconds(time: string): number {
  const seconds = SECONDS_ONLY.exec(time)?.[1];
  return Math.round((seconds === undefined ? parseIsoDuration(time)! : Number(seconds)) * 1000) / 1000;
}

function placeRoute(
  grid: number[],
  step: number,
  route: PolarExerciseDetail['route'] & {},
): {
  onGrid: Array<readonly [number, number] | undefined>;
  extra: Array<{ t: number; point: readonly [number, number] }>;
} {
  const onGrid = new Array<readonly [number, number] | undefined>(grid.length);
  const extra: Array<{ t: number; point: readonly [number, number] }> = [];
  for (const p of route) {
    const t = offsetSeconds(p.time);
    const point = [p.latitude, p.longitude] as const;
    const slot = nearest(grid, t);
    if (slot >= 0 && Math.abs(grid[slot]! - t) <= step / 2 && onGrid[slot] === undefined)
      onGrid[slot] = point;
    else extra.push({ t, point });
  }
  extra.sort((a, b) => a.t - b.t);
  return { onGrid, extra };
}

/** Index of the grid instant nearest to `t` (the earlier on a tie), or -1 for an empty grid. */
function nearest(grid: number[], t: number): number {
  if (grid.length === 0) return -1;
  let lo = 0;
  let hi = grid.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (grid[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && t - grid[lo - 1]! <= grid[lo]! - t ? lo - 1 : lo;
}

/** Laps (`laps`, else `auto-laps`), each starting where the previous ended. */
function mapPolarLaps(detail: PolarExerciseDetail): NormalizedLap[] {
  const laps: PolarLap[] = detail.laps?.length ? detail.laps : (detail['auto-laps'] ?? []);
  let start = 0;
  return laps.map((lap) => {
    const duration = parseIsoDuration(lap.duration) ?? null;
    const split = parseIsoDuration(lap['split-time']);
    const startOffsetS = split !== null && duration !== null ? split - duration : start;
    start = startOffsetS + (duration ?? 0);
    return createLap({
      startOffsetS,
      elapsedTimeS: duration,
      distanceM: lap.distance ?? null,
      averageHeartrate: lap['heart-rate']?.average ?? null,
      maxHeartrate: lap['heart-rate']?.maximum ?? null,
    });
  });
}

/** Google's encoded polyline (precision 5) of the route's points, in Polar's order (core's encoder). */
export function encodePolyline(points: ReadonlyArray<{ latitude: number; longitude: number }>): string {
  return encodeLatLngPolyline(points.map((p) => [p.latitude, p.longitude] as const));
}

function malformed(activity: StreamsActivity, why: string): ValidationError {
  return new ValidationError(`polar ${ENTITY} ${activity.providerActivityId} is malformed: ${why}`, {
    provider: PROVIDER,
    entity: ENTITY,
    itemId: activity.providerActivityId,
    issues: [{ path: 'samples', message: why }],
  });
}
