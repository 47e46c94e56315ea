/**
 * Deterministic generated activity histories. An activity is computed from (account, index) on demand:
 * nothing is materialized up front, so a 100,000-activity history costs nothing until it is read.
 * Start times never decrease with the index, which lets a time window be found by binary search.
 *
 * Awkward-but-legal shapes on demand (see `HistoryShape`): runs of activities sharing one start second
 * (`tieSize`), explicit start seconds with any number of duplicates (`startSeconds`), ids beyond 2^53 for
 * every activity (`unsafeIds`), and a chosen list of sport types (default: every documented SportType).
 */

/** The first id beyond 2^53: ids like it lose precision in `JSON.parse`. */
export const UNSAFE_ID_BASE = 9_007_199_254_740_993n;

/**
 * Strava's documented SportType values (developers.strava.com reference, as listed in
 * docs/shared reference §1.3). Kept here, apart from the plugin's mapping table, so the sandbox does not
 * share the plugin's assumptions: a sport the plugin forgot still reaches it.
 */
export const DOCUMENTED_SPORT_TYPES: readonly string[] = [
  'AlpineSki',
  'BackcountrySki',
  'Badminton',
  'Canoeing',
  'Crossfit',
  'EBikeRide',
  'Elliptical',
  'EMountainBikeRide',
  'Golf',
  'GravelRide',
  'Handcycle',
  'HighIntensityIntervalTraining',
  'Hike',
  'IceSkate',
  'InlineSkate',
  'Kayaking',
  'Kitesurf',
  'MountainBikeRide',
  'NordicSki',
  'Pickleball',
  'Pilates',
  'Racquetball',
  'Ride',
  'RockClimbing',
  'RollerSki',
  'Rowing',
  'Run',
  'Sail',
  'Skateboard',
  'Snowboard',
  'Snowshoe',
  'Soccer',
  'Squash',
  'StairStepper',
  'StandUpPaddling',
  'Surfing',
  'Swim',
  'TableTennis',
  'Tennis',
  'TrailRun',
  'Velomobile',
  'VirtualRide',
  'VirtualRow',
  'VirtualRun',
  'Walk',
  'WeightTraining',
  'Wheelchair',
  'Windsurf',
  'Workout',
  'Yoga',
];

/** A SummaryActivity as the sandbox keeps it: ids as decimal strings, serialized as JSON numbers. */
export type SandboxActivity = Record<string, unknown> & { id: string; start_date: string };

/** The awkward-but-legal shapes a generated history can take (all optional; documented in the README). */
export interface HistoryShape {
  /**
   * Consecutive runs of this many activities share one start second (default 1: every start distinct).
   * With 200 or more, a whole page of the list holds one start second.
   */
  tieSize?: number;
  /**
   * Explicit start times (epoch seconds, any order, duplicates allowed): the history has exactly these
   * activities (`activityCount` is ignored). For property tests that generate the timeline themselves.
   */
  startSeconds?: readonly number[];
  /** Every generated id beyond 2^53 (default false: only the newest one, see `unsafeNewestId`). */
  unsafeIds?: boolean;
  /** Sport types to cycle through (default `DOCUMENTED_SPORT_TYPES`); unknown names are legal too. */
  sportTypes?: readonly string[];
}

export interface GeneratedHistory {
  /** The account's number (1, 2, …): spaces the id ranges of accounts apart. */
  accountNumber: number;
  athleteId: string;
  seed: number;
  count: number;
  /** Start of the newest generated activity is before this instant (ms). */
  endMs: number;
  spacingMs: number;
  /** Give the newest generated activity an id beyond 2^53 (default true). */
  unsafeNewestId: boolean;
  unsafeIds: boolean;
  tieSize: number;
  /** Sorted explicit starts in ms, when given. */
  startsMs: readonly number[] | null;
  sportTypes: readonly string[];
}

const DAY_MS = 86_400_000;
const TEN_YEARS_MS = 3652 * DAY_MS;

export function createHistory(
  params: {
    accountNumber: number;
    athleteId: string;
    seed: number;
    count: number;
    endMs: number;
    unsafeNewestId?: boolean;
  } & HistoryShape,
): GeneratedHistory {
  const startsMs = params.startSeconds
    ? [...params.startSeconds].map((s) => Math.floor(s) * 1000).sort((a, b) => a - b)
    : null;
  const count = startsMs ? startsMs.length : params.count;
  const tieSize = Math.max(1, Math.floor(params.tieSize ?? 1));
  const slots = Math.ceil(count / tieSize);
  const spacingMs =
    slots <= 3650 ? DAY_MS : Math.max(60_000, Math.floor(TEN_YEARS_MS / slots / 60_000) * 60_000);
  return {
    accountNumber: params.accountNumber,
    athleteId: params.athleteId,
    seed: params.seed,
    count,
    endMs: params.endMs,
    spacingMs,
    unsafeNewestId: params.unsafeNewestId ?? true,
    unsafeIds: params.unsafeIds ?? false,
    tieSize,
    startsMs,
    sportTypes:
      params.sportTypes && params.sportTypes.length > 0 ? params.sportTypes : DOCUMENTED_SPORT_TYPES,
  };
}

/** The id range of an account: generated activity `i` is `idBase + i`, added ones follow. */
export function idBase(accountNumber: number, unsafe = false): bigint {
  const base = 10_000_000_000n + BigInt(accountNumber) * 1_000_000_000n;
  return unsafe ? UNSAFE_ID_BASE + base : base;
}

export function generatedId(history: GeneratedHistory, index: number): string {
  if (!history.unsafeIds && history.unsafeNewestId && index === history.count - 1) {
    return String(UNSAFE_ID_BASE + BigInt(history.accountNumber));
  }
  return String(idBase(history.accountNumber, history.unsafeIds) + BigInt(index));
}

/** The index of a generated id, or null. */
export function generatedIndex(history: GeneratedHistory, id: string): number | null {
  if (!/^\d+$/.test(id)) return null;
  const n = BigInt(id);
  const newestUnsafe = !history.unsafeIds && history.unsafeNewestId;
  if (newestUnsafe && history.count > 0 && n === UNSAFE_ID_BASE + BigInt(history.accountNumber)) {
    return history.count - 1;
  }
  const index = n - idBase(history.accountNumber, history.unsafeIds);
  if (index < 0n || index >= BigInt(history.count)) return null;
  if (newestUnsafe && Number(index) === history.count - 1) return null;
  return Number(index);
}

/** A small fast PRNG (mulberry32) seeded from (seed, index, salt). */
export function random(seed: number, index: number, salt: number): () => number {
  let a = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35) ^ salt) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generatedStartMs(history: GeneratedHistory, index: number): number {
  if (history.startsMs) return history.startsMs[index]!;
  // A run of `tieSize` activities shares the start of its first one.
  const slotIndex = Math.floor(index / history.tieSize);
  const slots = Math.ceil(history.count / history.tieSize);
  const slot = history.endMs - (slots - slotIndex) * history.spacingMs;
  // Whole seconds, strictly increasing between runs: jitter stays inside the first half of the slot.
  const jitter = Math.floor(random(history.seed, slotIndex, 1)() * (history.spacingMs / 2 / 1000)) * 1000;
  return slot + jitter;
}

/** First index whose start is > `ms` (binary search over non-decreasing starts). */
export function firstIndexAfter(history: GeneratedHistory, ms: number): number {
  let lo = 0;
  let hi = history.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (generatedStartMs(history, mid) > ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The deprecated `type` (ActivityType) of a sport type. */
const legacyTypes = new Set([
  'AlpineSki',
  'BackcountrySki',
  'Canoeing',
  'Crossfit',
  'EBikeRide',
  'Elliptical',
  'Golf',
  'Handcycle',
  'Hike',
  'IceSkate',
  'InlineSkate',
  'Kayaking',
  'Kitesurf',
  'NordicSki',
  'Ride',
  'RockClimbing',
  'RollerSki',
  'Rowing',
  'Run',
  'Sail',
  'Skateboard',
  'Snowboard',
  'Snowshoe',
  'Soccer',
  'StairStepper',
  'StandUpPaddling',
  'Surfing',
  'Swim',
  'Velomobile',
  'VirtualRide',
  'VirtualRun',
  'Walk',
  'WeightTraining',
  'Wheelchair',
  'Windsurf',
  'Workout',
  'Yoga',
]);
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

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

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

/** JSON with int64 ids written as numbers, exactly as Strava does (ids are kept as strings in memory). */
export function toStravaJson(value: unknown): string {
  return JSON.stringify(value, (key, v) =>
    (key === 'id' || key === 'upload_id' || key === 'object_id' || key === 'owner_id') &&
    typeof v === 'string' &&
    /^\d+$/.test(v)
      ? `\u0000int:${v}`
      : v,
  ).replace(/"\\u0000int:(\d+)"/g, '$1');
}
