import type { ConformanceSandbox } from '@trainlytics/core/testing';

/** What the demo needs of the Garmin sandbox: the summaries of its seeded account. */
interface GarminSummaries {
  summariesStartedBetween(
    providerUserId: string,
    fromS: number,
    toS: number,
  ): Array<{
    activityId: number;
    activityType: string;
    activityName?: string;
    startTimeInSeconds: number;
    startTimeOffsetInSeconds: number;
    durationInSeconds: number;
    distanceInMeters?: number;
    isParent?: boolean;
  }>;
}

/** What the demo needs of the Strava sandbox: an activity with a chosen start and fields. */
interface StravaUploads {
  addActivity(
    providerUserId: string,
    options: { startDate: Date; fields?: Record<string, unknown> },
  ): Promise<string>;
}

/** Garmin activity types and the Strava sport type Garmin Connect uploads them as (the ones the demo copies). */
const STRAVA_SPORT: Readonly<Record<string, string>> = {
  RUNNING: 'Run',
  STREET_RUNNING: 'Run',
  TRACK_RUNNING: 'Run',
  TRAIL_RUNNING: 'TrailRun',
  TREADMILL_RUNNING: 'Run',
  CYCLING: 'Ride',
  MOUNTAIN_BIKING: 'MountainBikeRide',
  GRAVEL_CYCLING: 'GravelRide',
  INDOOR_CYCLING: 'VirtualRide',
  LAP_SWIMMING: 'Swim',
  OPEN_WATER_SWIMMING: 'Swim',
  WALKING: 'Walk',
  HIKING: 'Hike',
  ROWING: 'Rowing',
  STRENGTH_TRAINING: 'WeightTraining',
  YOGA: 'Yoga',
};

/** One Garmin activity as Garmin Connect uploads it to Strava. */
export interface PlannedUpload {
  startDate: Date;
  fields: Record<string, unknown>;
}

/**
 * Garmin Connect's auto-upload in the demo: of the Garmin account's activities (at most `limit`), two in
 * three (of the ones of a sport Strava names, by their position, so every run is the same) are uploaded to
 * Strava as Garmin Connect does: same start, duration and distance, and `external_id`
 * `garmin_push_<activityId>` — for one upload in four none (an export uploaded by hand), so that copy is
 * matched by its times.
 */
export function planGarminUploads(
  garmin: ConformanceSandbox,
  garminUserId: string,
  limit: number,
): PlannedUpload[] {
  const summaries = (garmin as unknown as GarminSummaries).summariesStartedBetween(
    garminUserId,
    0,
    Math.floor(Date.now() / 1000) + 86_400,
  );
  const out: PlannedUpload[] = [];
  let candidate = 0;
  for (const s of summaries) {
    if (out.length >= limit) break;
    const sport = STRAVA_SPORT[s.activityType];
    if (!sport || s.isParent) continue;
    // by position among the candidates (the sandbox's ids share residues): two in three, a fourth of those by hand
    if (candidate++ % 3 === 2) continue;
    const byHand = out.length % 4 === 3;
    out.push({
      startDate: new Date(s.startTimeInSeconds * 1000),
      fields: {
        name: s.activityName ?? `${sport} from Garmin`,
        sport_type: sport,
        type: sport,
        elapsed_time: s.durationInSeconds,
        moving_time: s.durationInSeconds,
        distance: s.distanceInMeters ?? 0,
        external_id: byHand ? null : `garmin_push_${s.activityId}`,
        utc_offset: s.startTimeOffsetInSeconds,
        start_date_local: new Date((s.startTimeInSeconds + s.startTimeOffsetInSeconds) * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
      },
    });
  }
  return out;
}

/** Adds the planned uploads to the Strava account. Returns how many carry no `external_id`. */
export async function uploadToStrava(
  strava: ConformanceSandbox,
  stravaUserId: string,
  uploads: PlannedUpload[],
): Promise<number> {
  for (const u of uploads) await (strava as unknown as StravaUploads).addActivity(stravaUserId, u);
  return uploads.filter((u) => u.fields.external_id === null).length;
}
