import type { ActivityStreams, SampleChannels } from '@trainlytics/core';
import type { GarminSummaryPayload } from './sandbox-history';
import { unitRandom } from './unit-random';

/**
 * The Activity Details summary the sandbox delivers for an activity summary (Activity API 7.3), generated
 * from the summary alone (same summary, same details). Written from Garmin's documentation, not from the
 * plugin: `summaryId` is the activity's with `-detail` appended, `summary` repeats the activity summary
 * without its ids, `samples[]` carry `startTimeInSeconds` and whichever of the documented fields the device
 * recorded, `laps[]` only `startTimeInSeconds`.
 *
 * Awkward but legal, as real recordings are:
 * - 1 s sampling, values as Garmin writes them (float32 widened to double: `314.20001220703125`; positions
 *   from semicircles);
 * - a timer pause (the clock runs, the timer does not; no samples meanwhile), recording gaps of a few
 *   seconds, GPS dropouts (samples without `latitudeInDegree`/`longitudeInDegree`), stops (moving time
 *   does not grow);
 * - channels by device and sport: no GPS indoors or in a pool; no heart rate, no `movingDurationInSeconds`
 *   in a pool (not supported there); heart rate only when the summary has it; run cadence
 *   (`stepsPerMinute`), bike cadence and power only on some devices, with dropouts; temperature on some;
 * - a manual activity has no details (null).
 */
export interface SandboxActivityDetail {
  summaryId: string;
  activityId: number | string;
  summary: Record<string, unknown>;
  samples: Array<Record<string, number>>;
  laps: Array<{ startTimeInSeconds: number }>;
}

const SEMICIRCLE = 180 / 2 ** 31;
const f32 = Math.fround;

export function generateActivityDetails(summary: GarminSummaryPayload): SandboxActivityDetail | null {
  if (summary.manual === true || summary.isParent === true) return null;
  const seed = Number(BigInt(summary.activityId) % 2_147_483_647n);
  let counter = 0;
  const rnd = () => unitRandom(seed, 77, counter++);
  const type = summary.activityType;
  const pool = type === 'LAP_SWIMMING';
  const swim = /SWIM/.test(type);
  const ride = /CYCLING|BIK|RIDE/.test(type);
  const run = /RUN/.test(type);
  const gps = !pool && summary.startingLatitudeInDegree !== undefined;
  const hasHr = !pool && summary.averageHeartRateInBeatsPerMinute !== undefined;
  const hasCadence = swim ? !pool : rnd() < 0.7;
  const hasPower = ride && rnd() < 0.5;
  const hasTemp = rnd() < 0.4;
  const duration = Math.max(60, summary.durationInSeconds);
  const pauseAt = Math.floor(duration * (0.3 + rnd() * 0.3));
  const pauseLength = rnd() < 0.6 ? 30 + Math.floor(rnd() * 240) : 0;
  const timerLength = Math.max(1, duration - pauseLength);
  const speedAvg = summary.averageSpeedInMetersPerSecond ?? 0;
  const hrAvg = summary.averageHeartRateInBeatsPerMinute ?? 0;
  const start = summary.startTimeInSeconds;
  const heading = rnd() * Math.PI * 2;
  let lat = (summary.startingLatitudeInDegree ?? 0) / SEMICIRCLE;
  let lng = (summary.startingLongitudeInDegree ?? 0) / SEMICIRCLE;
  let distance = 0;
  let moving = 0;
  let altitude = 100 + rnd() * 900;
  const samples: Array<Record<string, number>> = [];
  const laps: Array<{ startTimeInSeconds: number }> = [{ startTimeInSeconds: start }];
  let nextLap = run ? 1000 : ride ? 5000 : Number.POSITIVE_INFINITY;
  let gpsDropout = 0;
  for (let timer = 0; timer <= timerLength; timer++) {
    const clock = timer < pauseAt ? timer : timer + pauseLength;
    const stopped = timer % 600 > 590; // a few seconds standing at a light every ten minutes
    const speed = stopped || speedAvg === 0 ? 0 : speedAvg * (0.85 + rnd() * 0.3);
    distance += speed;
    if (!stopped && timer > 0) moving++;
    altitude += (rnd() - 0.5) * 0.6;
    if (distance >= nextLap) {
      laps.push({ startTimeInSeconds: start + clock });
      nextLap += run ? 1000 : 5000;
    }
    // a recording gap: a few seconds without samples
    if (timer > 0 && rnd() < 0.002) {
      timer += 2 + Math.floor(rnd() * 5);
      continue;
    }
    const sample: Record<string, number> = { startTimeInSeconds: start + clock };
    if (gps) {
      lat += (Math.cos(heading) * speed) / 111_320 / SEMICIRCLE;
      lng += (Math.sin(heading) * speed) / 111_320 / SEMICIRCLE;
      if (gpsDropout > 0) gpsDropout--;
      else if (rnd() < 0.001) gpsDropout = 5 + Math.floor(rnd() * 20);
      if (gpsDropout === 0) {
        sample.latitudeInDegree = Math.round(lat) * SEMICIRCLE;
        sample.longitudeInDegree = Math.round(lng) * SEMICIRCLE;
      }
      sample.elevationInMeters = f32(Math.round(altitude * 5) / 5);
    }
    if (hasTemp) sample.airTemperatureCelcius = Math.round(18 + rnd() * 4);
    if (hasHr && rnd() > 0.01) sample.heartRate = Math.round(hrAvg + (rnd() - 0.5) * 20);
    if (speedAvg > 0) {
      sample.speedMetersPerSecond = f32(Math.round(speed * 1000) / 1000);
      sample.totalDistanceInMeters = f32(Math.round(distance * 100) / 100);
    }
    if (hasCadence) {
      const cadence = stopped ? 0 : swim ? 25 + rnd() * 10 : ride ? 75 + rnd() * 20 : 80 + rnd() * 12;
      const field = swim ? 'swimCadenceInStrokesPerMinute' : ride ? 'bikeCadenceInRPM' : 'stepsPerMinute';
      sample[field] = ride ? Math.round(cadence) : f32(Math.round(cadence * 2) / 2);
    }
    if (hasPower && rnd() > 0.03) sample.powerInWatts = stopped ? 0 : Math.round(150 + rnd() * 150);
    sample.timerDurationInSeconds = timer;
    sample.clockDurationInSeconds = clock;
    if (!pool) sample.movingDurationInSeconds = moving;
    samples.push(sample);
  }
  const { userId: _user, summaryId: _summary, activityId: _activity, ...rest } = summary;
  return {
    summaryId: `${summary.summaryId}-detail`,
    activityId: summary.activityId,
    summary: rest,
    samples,
    laps,
  };
}

/** The sample fields the device recorded its cadence in, by sport (an activity has one of them). */
const CADENCE_FIELDS = ['bikeCadenceInRPM', 'stepsPerMinute', 'swimCadenceInStrokesPerMinute'] as const;

/**
 * What an Activity Details summary the sandbox serves recorded, in core's channel names and units (for the
 * provider detail suite, `SandboxStreamsControl`), read from the served samples themselves: Garmin's
 * sample fields are already in the model's units (degrees, metres, m/s, bpm, W, °C, per minute), so each
 * served value is the recorded one. `time` is seconds from the summary's start (a timer pause shows as a
 * jump), `latlng` needs both coordinates, a field no sample has is no channel, a sample without it is a
 * gap (null); `moving` is whether the moving time (`movingDurationInSeconds`) grew since the previous
 * sample (unknown for the first). Garmin writes no grade.
 */
export function recordedActivityDetail(
  detail: SandboxActivityDetail,
): Pick<ActivityStreams, 'time' | 'channels'> {
  const start = Number(detail.summary.startTimeInSeconds);
  const samples = detail.samples;
  const column = (field: string) =>
    samples.some((s) => s[field] !== undefined) ? samples.map((s) => s[field] ?? null) : undefined;
  const channels: SampleChannels = {};
  if (samples.some((s) => s.latitudeInDegree !== undefined)) {
    channels.latlng = samples.map((s) =>
      s.latitudeInDegree === undefined || s.longitudeInDegree === undefined
        ? null
        : ([s.latitudeInDegree, s.longitudeInDegree] as const),
    );
  }
  const set = (channel: Exclude<keyof SampleChannels, 'latlng' | 'moving'>, field: string) => {
    const values = column(field);
    if (values) channels[channel] = values;
  };
  set('distance', 'totalDistanceInMeters');
  set('altitude', 'elevationInMeters');
  set('speed', 'speedMetersPerSecond');
  set('heartrate', 'heartRate');
  set('power', 'powerInWatts');
  set('temperature', 'airTemperatureCelcius');
  const cadence = CADENCE_FIELDS.find((field) => column(field));
  if (cadence) set('cadence', cadence);
  const moved = column('movingDurationInSeconds');
  if (moved) {
    channels.moving = moved.map((m, i) => {
      const before = i === 0 ? null : moved[i - 1];
      return m === null || before === null || before === undefined ? null : m > before;
    });
  }
  return { time: samples.map((s) => (s.startTimeInSeconds as number) - start), channels };
}
