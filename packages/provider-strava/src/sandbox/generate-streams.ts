import type { ActivityStreams, SampleChannelName, SampleChannels } from '@trainlytics/core';
import { random, type SandboxActivity } from './generate-history';

/**
 * What the sandbox answers for `GET /activities/{id}/streams?key_by_type=true` and `/laps`, generated
 * from the activity alone (same activity, same streams). Written from Strava's reference, not from the
 * plugin: a StreamSet keyed by type, each `{ data, series_type: 'distance', original_size, resolution:
 * 'high' }`; types the recording lacks are left out.
 *
 * Awkward but legal, as real recordings are:
 * - "smart recording": samples 1 to 7 s apart on some devices, 1 Hz on others;
 * - a pause mid-activity (time jumps; `moving` false around it);
 * - channels by device: no GPS on a trainer (no latlng/altitude/grade), heart rate only when the summary
 *   says so, cadence on some, watts on some rides with `null` gaps (power meter dropouts), temp on some;
 * - a manual activity has no streams (`{}`);
 * - lap ids beyond 2^53 (written as JSON numbers).
 */
export interface SandboxStreams {
  streams: Record<
    string,
    { data: unknown[]; series_type: string; original_size: number; resolution: string }
  >;
  laps: Array<Record<string, unknown>>;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function generateStreams(activity: SandboxActivity): SandboxStreams {
  if (activity.manual === true) return { streams: {}, laps: [] };
  const id = BigInt(activity.id);
  const rnd = random(Number(id % 1_000_003n), 7, 11);
  const elapsed = Number(activity.elapsed_time ?? 1800);
  const moving = Number(activity.moving_time ?? elapsed);
  const distanceTotal = Number(activity.distance ?? 0);
  const gps =
    activity.trainer !== true && Array.isArray(activity.start_latlng) && activity.start_latlng.length === 2;
  const ride = /Ride/.test(String(activity.sport_type));
  const smart = rnd() < 0.4;
  const hasHr = activity.has_heartrate === true;
  const hasCadence = rnd() < 0.6;
  const hasWatts = ride && rnd() < 0.5;
  const hasTemp = rnd() < 0.3;
  const pauseAt = Math.floor(moving * (0.3 + rnd() * 0.4));
  const pauseLength = Math.max(0, elapsed - moving);

  const time: number[] = [];
  for (let t = 0; t <= moving; t += smart ? 1 + Math.floor(rnd() * 7) : 1) {
    time.push(t < pauseAt ? t : t + pauseLength);
  }
  const n = time.length;
  const speedAvg = moving > 0 ? distanceTotal / moving : 0;
  const [startLat, startLng] = gps ? (activity.start_latlng as [number, number]) : [0, 0];
  const heading = rnd() * Math.PI * 2;

  const distance: number[] = [];
  const velocity: number[] = [];
  const latlng: Array<[number, number]> = [];
  const altitude: number[] = [];
  const grade: number[] = [];
  const heartrate: number[] = [];
  const cadence: number[] = [];
  const watts: Array<number | null> = [];
  const temp: number[] = [];
  const movingFlags: boolean[] = [];
  let d = 0;
  let previousMovingT = 0;
  for (let i = 0; i < n; i++) {
    const t = time[i] as number;
    const movingT = t < pauseAt ? t : t - pauseLength;
    const v = Math.max(0, speedAvg * (1 + 0.15 * Math.sin(movingT / 90) + 0.05 * (rnd() - 0.5)));
    d += v * (movingT - previousMovingT);
    previousMovingT = movingT;
    distance.push(round(Math.min(d, distanceTotal || d), 1));
    velocity.push(round(v, 3));
    movingFlags.push(!(i > 0 && (time[i] as number) - (time[i - 1] as number) > 60) && v > 0.2);
    const bearing = heading + Math.sin(d / 800);
    latlng.push([
      round(startLat + (d / 111_320) * Math.cos(bearing), 6),
      round(startLng + (d / 73_000) * Math.sin(bearing), 6),
    ]);
    const alt = 120 + 25 * Math.sin(d / 1500) + 8 * Math.sin(d / 230);
    altitude.push(round(alt, 1));
    grade.push(round(((25 / 1500) * Math.cos(d / 1500) + (8 / 230) * Math.cos(d / 230)) * 100, 1));
    heartrate.push(Math.round(118 + 30 * Math.min(1, movingT / 600) + 6 * Math.sin(movingT / 240)));
    cadence.push(Math.round((ride ? 85 : 86) + 4 * Math.sin(movingT / 60) + (rnd() - 0.5) * 3));
    watts.push(rnd() < 0.01 ? null : Math.round(180 + 40 * Math.sin(movingT / 120) + (rnd() - 0.5) * 30));
    temp.push(Math.round(14 + movingT / 1800));
  }

  const stream = (data: unknown[]) => ({
    data,
    series_type: 'distance',
    original_size: n,
    resolution: 'high',
  });
  const streams: SandboxStreams['streams'] = {
    time: stream(time),
    distance: stream(distance),
    velocity_smooth: stream(velocity),
    moving: stream(movingFlags),
  };
  if (gps) {
    streams.latlng = stream(latlng);
    streams.altitude = stream(altitude);
    streams.grade_smooth = stream(grade);
  }
  if (hasHr) streams.heartrate = stream(heartrate);
  if (hasCadence) streams.cadence = stream(cadence);
  if (hasWatts) streams.watts = stream(watts);
  if (hasTemp) streams.temp = stream(temp);

  // auto laps every 1000 m (ride: 5000 m), and the remainder
  const lapLength = ride ? 5000 : 1000;
  const laps: Array<Record<string, unknown>> = [];
  let lapStart = 0;
  for (let i = 1; i <= n; i++) {
    const end = i === n || (distance[i] as number) >= (laps.length + 1) * lapLength;
    if (!end || i - 1 <= lapStart) continue;
    const last = i - 1;
    const lapTime = (time[last] as number) - (time[lapStart] as number);
    const lapDistance = round((distance[last] as number) - (distance[lapStart] as number), 1);
    const hr = hasHr ? heartrate.slice(lapStart, last + 1) : [];
    laps.push({
      id: String(id * 1000n + 9_007_199_254_740_993n + BigInt(laps.length)),
      resource_state: 2,
      name: `Lap ${laps.length + 1}`,
      activity: { id: activity.id, resource_state: 1 },
      athlete: activity.athlete,
      elapsed_time: lapTime,
      moving_time: lapTime,
      start_date: new Date(Date.parse(activity.start_date) + (time[lapStart] as number) * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      distance: lapDistance,
      start_index: lapStart,
      end_index: last,
      total_elevation_gain: gps ? round(rnd() * 20, 1) : 0,
      average_speed: lapTime > 0 ? round(lapDistance / lapTime, 2) : 0,
      max_speed: round(Math.max(...velocity.slice(lapStart, last + 1)), 1),
      ...(hasCadence ? { average_cadence: round(cadence[lapStart] as number, 1) } : {}),
      ...(hasWatts ? { average_watts: 190.4, device_watts: true } : {}),
      ...(hasHr
        ? {
            average_heartrate: round(hr.reduce((a, b) => a + b, 0) / hr.length, 1),
            max_heartrate: Math.max(...hr),
          }
        : {}),
      lap_index: laps.length + 1,
      split: laps.length + 1,
    });
    lapStart = i;
  }
  return { streams, laps };
}

/**
 * Strava's stream types → core's channel names, written from the API reference for the detail suite
 * (`SandboxStreamsControl`) and the end-to-end test. The sandbox never imports the plugin.
 */
export const STRAVA_STREAM_CHANNELS: Readonly<Record<string, SampleChannelName>> = {
  latlng: 'latlng',
  distance: 'distance',
  altitude: 'altitude',
  velocity_smooth: 'speed',
  heartrate: 'heartrate',
  cadence: 'cadence',
  watts: 'power',
  temp: 'temperature',
  moving: 'moving',
  grade_smooth: 'grade',
};

/**
 * A generated recording in core's names and units (Strava's are core's: seconds, degrees, metres, m/s, bpm,
 * rpm, watts, °C, percent), for the detail suite's `SandboxRecordedActivity.recorded`; null without streams.
 */
export function recordedSamples(
  generated: SandboxStreams,
): Pick<ActivityStreams, 'time' | 'channels'> | null {
  const time = generated.streams.time?.data as number[] | undefined;
  if (!time) return null;
  const channels: Record<string, unknown[]> = {};
  for (const [type, stream] of Object.entries(generated.streams)) {
    const name = STRAVA_STREAM_CHANNELS[type];
    if (name) channels[name] = stream.data;
  }
  return { time, channels: channels as SampleChannels };
}
