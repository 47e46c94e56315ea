/**
 * One generated SummaryActivity (and its DetailedActivity), computed from (account seed, index, start): the
 * fields and quirks of Strava's API reference example (a local start time suffixed "Z", ids as int64,
 * heart rate fields absent without a heart rate, the deprecated `type` beside `sport_type`).
 */
import { random, type SandboxActivity } from './generate-history';
import { DOCUMENTED_SPORT_TYPES } from './sport-types';
import { isoSeconds } from './strava-json';

/**
 * The deprecated `type` values (Strava's ActivityType enum, a subset of the SportType names; the
 * reference notes §1.3), written out from the documentation like `DOCUMENTED_SPORT_TYPES`.
 */
const legacyTypes = new Set(
  `AlpineSki BackcountrySki Canoeing Crossfit EBikeRide Elliptical Golf Handcycle Hike IceSkate InlineSkate
  Kayaking Kitesurf NordicSki Ride RockClimbing RollerSki Rowing Run Sail Skateboard Snowboard Snowshoe Soccer
  StairStepper StandUpPaddling Surfing Swim Velomobile VirtualRide VirtualRun Walk WeightTraining Wheelchair
  Windsurf Workout Yoga`.split(/\s+/),
);

/** The deprecated `type` (ActivityType) of a sport type. */
function legacyType(sportType: string): string {
  if (legacyTypes.has(sportType)) return sportType;
  if (/Ride$/.test(sportType)) return 'Ride';
  if (/Run$/.test(sportType)) return 'Run';
  if (sportType === 'VirtualRow') return 'Rowing';
  return 'Workout';
}

const speeds: Record<string, number> = {
  Run: 3.1,
  TrailRun: 2.6,
  Walk: 1.4,
  Hike: 1.2,
  Swim: 0.9,
  Rowing: 3.5,
};
const timezones: Array<[string, number]> = [
  ['(GMT+01:00) Europe/Paris', 3600],
  ['(GMT-08:00) America/Los_Angeles', -28800],
  ['(GMT+00:00) Europe/London', 0],
  ['(GMT+10:00) Australia/Sydney', 36000],
  ['(GMT+05:30) Asia/Kolkata', 19800],
];

/** Builds a SummaryActivity shaped like the API reference's example. */
export function buildActivity(params: {
  id: string;
  athleteId: string;
  seed: number;
  index: number;
  startMs: number;
  sportTypes?: readonly string[];
}): SandboxActivity {
  const rnd = random(params.seed, params.index, 2);
  const sports = params.sportTypes ?? DOCUMENTED_SPORT_TYPES;
  const sportType = sports[(params.index + params.seed) % sports.length]!;
  const manual = params.index % 17 === 5;
  const virtual = sportType.startsWith('Virtual');
  const trainer = virtual || (sportType === 'Ride' && params.index % 7 === 3);
  const hasHeartrate = !manual && params.index % 5 !== 0;
  const [timezone, utcOffset] = timezones[params.index % timezones.length]!;
  const movingTime = 600 + Math.floor(rnd() * 7200);
  const elapsedTime = movingTime + Math.floor(rnd() * 900);
  const speed = (speeds[sportType] ?? (/Ride/.test(sportType) ? 7.5 : 2)) * (0.8 + rnd() * 0.4);
  const distance = manual && params.index % 2 === 0 ? 0 : Math.round(movingTime * speed * 10) / 10;
  const uploadId = manual ? null : String(BigInt(params.id) * 7n + 3n);
  const gps = !manual && !trainer;
  const activity: SandboxActivity = {
    resource_state: 2,
    athlete: { id: Number(params.athleteId), resource_state: 1 },
    name: `${['Morning', 'Lunch', 'Afternoon', 'Evening'][params.index % 4]} ${sportType}`,
    distance,
    moving_time: movingTime,
    elapsed_time: elapsedTime,
    total_elevation_gain: gps ? Math.round(rnd() * 8000) / 10 : 0,
    type: legacyType(sportType),
    sport_type: sportType,
    workout_type: sportType === 'Run' ? params.index % 4 : null,
    id: params.id,
    external_id: manual ? null : `garmin_push_${params.id}`,
    upload_id: uploadId,
    upload_id_str: uploadId,
    start_date: isoSeconds(params.startMs),
    // Wall-clock time with a trailing Z that is not UTC (Strava's quirk).
    start_date_local: isoSeconds(params.startMs + utcOffset * 1000),
    timezone,
    utc_offset: utcOffset,
    start_latlng: gps ? [48.85 + rnd() / 10, 2.35 + rnd() / 10] : [],
    end_latlng: gps ? [48.85 + rnd() / 10, 2.35 + rnd() / 10] : [],
    location_city: null,
    location_state: null,
    location_country: 'France',
    achievement_count: Math.floor(rnd() * 5),
    kudos_count: Math.floor(rnd() * 20),
    comment_count: 0,
    athlete_count: 1,
    photo_count: 0,
    map: {
      id: `a${params.id}`,
      summary_polyline: gps ? 'ki{eFvqfiVqAWQIGEEKAYJgBVqDJ{BHa@jAkNJw@Pw@V{APs@^aABQAOEQGKoJ_FuJkFqAo@' : '',
      resource_state: 2,
    },
    trainer,
    commute: false,
    manual,
    private: params.index % 23 === 7,
    visibility: params.index % 23 === 7 ? 'only_me' : 'everyone',
    flagged: false,
    gear_id: null,
    from_accepted_tag: false,
    average_speed: movingTime > 0 ? Math.round((distance / movingTime) * 1000) / 1000 : 0,
    max_speed: Math.round(speed * 1.6 * 10) / 10,
    has_heartrate: hasHeartrate,
    heartrate_opt_out: false,
    display_hide_heartrate_option: hasHeartrate,
    elev_high: gps ? 80 + Math.round(rnd() * 300) : null,
    elev_low: gps ? 30 + Math.round(rnd() * 40) : null,
    pr_count: 0,
    total_photo_count: 0,
    has_kudoed: false,
  };
  if (hasHeartrate) {
    activity.average_heartrate = Math.round((120 + rnd() * 40) * 10) / 10;
    activity.max_heartrate = Math.round(165 + rnd() * 25);
  }
  if (/Ride/.test(sportType) && !manual) {
    activity.average_watts = Math.round(150 + rnd() * 100);
    activity.kilojoules = Math.round(movingTime * 0.2 * 10) / 10;
    activity.device_watts = trainer;
  }
  return activity;
}

/** The DetailedActivity of a summary (`GET /activities/{id}`): adds calories, description, device. */
export function toDetailed(summary: SandboxActivity): SandboxActivity {
  const manual = summary.manual === true;
  const moving = typeof summary.moving_time === 'number' ? summary.moving_time : 0;
  return {
    ...summary,
    resource_state: 3,
    description: manual ? null : 'Generated by the Trainlytics Strava sandbox',
    calories: manual ? 0 : Math.round(moving * 0.18 * 10) / 10,
    device_name: manual ? null : summary.trainer ? 'Zwift' : 'Garmin Forerunner 965',
    embed_token: 'sandbox',
    laps: [],
    splits_metric: [],
  };
}
