import type { JsonValue } from './json';

/**
 * What happened inside an activity: time-aligned sample channels, laps and the route (issue 14, ADR 0030).
 * A plugin's optional `streams` capability fetches it; the store keeps it compactly (`sample-codec.ts`).
 *
 * Units are the normalized model's: seconds, metres, metres per second, degrees, beats and revolutions
 * (or steps) per minute, watts, degrees Celsius, percent. Every channel has one entry per `time` entry;
 * `null` is a gap (the device recorded the sample without that value). Channels the provider or the
 * device did not record are absent, never filled with zeros.
 */
export interface ActivityStreams {
  /** Seconds since the activity's start, one per sample, non-decreasing (pauses show as jumps). */
  time: number[];
  channels: SampleChannels;
  laps: NormalizedLap[];
  /** The route as an encoded polyline (Google's algorithm, precision 5) or null when there is none. */
  route: ActivityRoute | null;
  /**
   * The provider's payload, as received, without the sample arrays: those are stored losslessly in
   * `time` and `channels` (decoding gives back the provider's numbers exactly), so keeping them twice
   * would cost ~10× the samples' space. Laps, stream metadata (resolution, series type) stay here whole.
   */
  raw: JsonValue;
}

/** The sample channels a provider may record; each is optional. */
export interface SampleChannels {
  /** `[latitude, longitude]` in degrees. */
  latlng?: Array<readonly [number, number] | null>;
  /** Distance from the start, metres. */
  distance?: Array<number | null>;
  /** Altitude, metres. */
  altitude?: Array<number | null>;
  /** Speed, metres per second. */
  speed?: Array<number | null>;
  /** Heart rate, beats per minute. */
  heartrate?: Array<number | null>;
  /** Cadence, revolutions (rides) or steps (runs, per foot as the provider reports it) per minute. */
  cadence?: Array<number | null>;
  /** Power, watts. */
  power?: Array<number | null>;
  /** Temperature, degrees Celsius. */
  temperature?: Array<number | null>;
  /** Whether the athlete was moving at that sample. */
  moving?: Array<boolean | null>;
  /** Grade, percent. */
  grade?: Array<number | null>;
}

export type SampleChannelName = keyof SampleChannels;

/** Every channel name, in the order the store encodes them. */
export const SAMPLE_CHANNEL_NAMES = [
  'latlng',
  'distance',
  'altitude',
  'speed',
  'heartrate',
  'cadence',
  'power',
  'temperature',
  'moving',
  'grade',
] as const satisfies readonly SampleChannelName[];

/** One lap (or split the athlete pressed, or auto lap), as the provider reports it. */
export interface NormalizedLap {
  /** Seconds from the activity's start to the lap's start. */
  startOffsetS: number;
  elapsedTimeS: number | null;
  movingTimeS: number | null;
  distanceM: number | null;
  averageSpeedMps: number | null;
  averageHeartrate: number | null;
  maxHeartrate: number | null;
  averageCadence: number | null;
  averagePower: number | null;
}

export interface ActivityRoute {
  /** Google's encoded polyline (precision 5): Strava's `map.polyline` / `summary_polyline`. */
  polyline: string;
  /** `summary`: a simplified line (Strava's summary polyline) until the full samples arrive. */
  resolution: 'summary' | 'full';
}

/** A lap with every optional figure `null`. */
export function createLap(
  fields: Pick<NormalizedLap, 'startOffsetS'> & Partial<NormalizedLap>,
): NormalizedLap {
  return {
    elapsedTimeS: null,
    movingTimeS: null,
    distanceM: null,
    averageSpeedMps: null,
    averageHeartrate: null,
    maxHeartrate: null,
    averageCadence: null,
    averagePower: null,
    ...fields,
  };
}
