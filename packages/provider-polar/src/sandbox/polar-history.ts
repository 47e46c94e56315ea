import { base62, hash32, randomFor } from './sandbox-random';

/**
 * Generated exercise histories: every exercise is computed from (account seed, index) on demand, so a
 * 100,000-exercise account costs a few numbers of memory and is streamed item by item.
 */

interface SportProfile {
  sport: string;
  detailed: string;
  /** Average speed in m/s; null for sports without distance (no GPS, no stride sensor). */
  speed: number | null;
  minMinutes: number;
  maxMinutes: number;
}

/** Covers every normalized sport type, plus Polar values that map to `other`. */
export const SANDBOX_SPORTS: readonly SportProfile[] = [
  { sport: 'RUNNING', detailed: 'RUNNING', speed: 3.1, minMinutes: 25, maxMinutes: 75 },
  { sport: 'RUNNING', detailed: 'TRAIL_RUNNING', speed: 2.5, minMinutes: 40, maxMinutes: 150 },
  { sport: 'RUNNING', detailed: 'TREADMILL_RUNNING', speed: 2.9, minMinutes: 20, maxMinutes: 50 },
  { sport: 'RUNNING', detailed: 'VIRTUAL_RUNNING', speed: 3.0, minMinutes: 20, maxMinutes: 60 },
  { sport: 'CYCLING', detailed: 'ROAD_BIKING', speed: 7.5, minMinutes: 45, maxMinutes: 240 },
  { sport: 'CYCLING', detailed: 'MOUNTAIN_BIKING', speed: 5.0, minMinutes: 45, maxMinutes: 180 },
  { sport: 'CYCLING', detailed: 'GRAVEL_BIKING', speed: 6.2, minMinutes: 60, maxMinutes: 240 },
  { sport: 'CYCLING', detailed: 'INDOOR_CYCLING', speed: null, minMinutes: 30, maxMinutes: 90 },
  { sport: 'CYCLING', detailed: 'VIRTUAL_CYCLING', speed: 8.0, minMinutes: 30, maxMinutes: 120 },
  { sport: 'CYCLING', detailed: 'E_BIKING', speed: 6.5, minMinutes: 30, maxMinutes: 120 },
  { sport: 'SWIMMING', detailed: 'POOL_SWIMMING', speed: 0.8, minMinutes: 25, maxMinutes: 70 },
  { sport: 'SWIMMING', detailed: 'OPEN_WATER_SWIMMING', speed: 0.75, minMinutes: 20, maxMinutes: 90 },
  { sport: 'WALKING', detailed: 'WALKING', speed: 1.4, minMinutes: 20, maxMinutes: 90 },
  { sport: 'HIKING', detailed: 'HIKING', speed: 1.1, minMinutes: 60, maxMinutes: 360 },
  { sport: 'ROWING', detailed: 'ROWING', speed: 3.5, minMinutes: 30, maxMinutes: 90 },
  { sport: 'ROWING', detailed: 'INDOOR_ROWING', speed: null, minMinutes: 15, maxMinutes: 45 },
  { sport: 'STRENGTH_TRAINING', detailed: 'STRENGTH_TRAINING', speed: null, minMinutes: 30, maxMinutes: 75 },
  { sport: 'YOGA', detailed: 'YOGA', speed: null, minMinutes: 30, maxMinutes: 90 },
  // the rest of the documented `detailed_sport_info` examples (reference §3.3)
  { sport: 'RUNNING', detailed: 'ROAD_RUNNING', speed: 3.2, minMinutes: 25, maxMinutes: 90 },
  { sport: 'CYCLING', detailed: 'CYCLING', speed: 7, minMinutes: 40, maxMinutes: 180 },
  { sport: 'OTHER', detailed: 'OTHER_INDOOR', speed: null, minMinutes: 20, maxMinutes: 90 },
  {
    sport: 'CROSS_COUNTRY_SKIING',
    detailed: 'CLASSIC_XC_SKIING',
    speed: 3.5,
    minMinutes: 45,
    maxMinutes: 180,
  },
  { sport: 'DOWNHILL_SKIING', detailed: 'DOWNHILL_SKIING', speed: 6, minMinutes: 60, maxMinutes: 300 },
  { sport: 'OTHER', detailed: 'CROSS_TRAINER', speed: null, minMinutes: 20, maxMinutes: 60 },
  { sport: 'OTHER', detailed: 'HIIT', speed: null, minMinutes: 15, maxMinutes: 45 },
  { sport: 'OTHER', detailed: 'WATERSPORTS_WATERSKI', speed: 9, minMinutes: 20, maxMinutes: 60 },
  { sport: 'OTHER', detailed: 'OTHER_OUTDOOR', speed: null, minMinutes: 20, maxMinutes: 120 },
];

/** UTC offsets in minutes, including negative and non-whole-hour ones. */
const OFFSETS = [120, 60, 0, -300, -240, -480, 330, 600, -210, 345];

const DEVICES = ['Polar Vantage V3', 'Polar Grit X2 Pro', 'Polar Pacer Pro', 'Polar H10'];

/** The facts of one generated exercise, before it is rendered in either casing. */
export interface ExerciseFacts {
  index: number;
  hashedId: string;
  transactionalId: number;
  uploadTime: Date;
  startLocal: string;
  offsetMinutes: number;
  duration: string;
  durationSeconds: number;
  calories: number;
  distance: number | null;
  heartRate: { average: number; maximum: number } | null;
  trainingLoad: number;
  sport: string;
  detailedSport: string;
  hasRoute: boolean;
  device: string;
  runningIndex: number | null;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function localString(utcMs: number, offsetMinutes: number): string {
  const d = new Date(utcMs + offsetMinutes * 60_000);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `PT1H2M3.5S` for 3723.5 seconds. */
export function isoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round((seconds % 60) * 10) / 10;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}

/** A hashed-looking, decodable exercise id: 3 check characters + user + index. */
export function encodeExerciseId(polarUserId: number, index: number): string {
  const body = `${polarUserId.toString(36)}Q${index.toString(36)}`;
  return `${base62(hash32(body), 6).slice(-3)}${body}`;
}

export function decodeExerciseId(id: string): { polarUserId: number; index: number } | null {
  const m = /^[A-Za-z0-9]{3}([0-9a-z]+)Q([0-9a-z]+)$/.exec(id);
  if (!m) return null;
  if (encodeExerciseId(Number.parseInt(m[1]!, 36), Number.parseInt(m[2]!, 36)) !== id) return null;
  return { polarUserId: Number.parseInt(m[1]!, 36), index: Number.parseInt(m[2]!, 36) };
}

/** Computes exercise `index` of an account; `uploadTime` is decided by the account (seeded or added). */
export function generateExercise(
  polarUserId: number,
  seed: number,
  index: number,
  uploadTime: Date,
): ExerciseFacts {
  const random = randomFor(seed, index);
  const profile = SANDBOX_SPORTS[(index + seed) % SANDBOX_SPORTS.length]!;
  const minutes = profile.minMinutes + random() * (profile.maxMinutes - profile.minMinutes);
  // Whole seconds mostly, half seconds sometimes (`PT1H2M3.5S`).
  const durationSeconds = Math.round(minutes * 60) + (random() < 0.3 ? 0.5 : 0);
  const offsetMinutes = OFFSETS[Math.floor(random() * OFFSETS.length)]!;
  const startUtcMs =
    Math.floor((uploadTime.getTime() - durationSeconds * 1000 - random() * 3 * 3600_000) / 1000) * 1000;
  const hasHr = random() >= 0.15;
  const average = Math.round(110 + random() * 50);
  const distance =
    profile.speed === null
      ? null
      : Math.round(profile.speed * durationSeconds * (0.85 + random() * 0.3) * 10) / 10;
  return {
    index,
    hashedId: encodeExerciseId(polarUserId, index),
    transactionalId: 1_000_000 + index,
    uploadTime,
    startLocal: localString(startUtcMs, offsetMinutes),
    offsetMinutes,
    duration: isoDuration(durationSeconds),
    durationSeconds,
    calories: Math.round((durationSeconds / 60) * (6 + random() * 8)),
    distance,
    heartRate: hasHr ? { average, maximum: average + Math.round(10 + random() * 30) } : null,
    trainingLoad: Math.round(random() * 2000) / 10,
    sport: profile.sport,
    detailedSport: profile.detailed,
    hasRoute:
      distance !== null &&
      profile.detailed !== 'TREADMILL_RUNNING' &&
      !profile.detailed.startsWith('VIRTUAL'),
    device: DEVICES[Math.floor(random() * DEVICES.length)]!,
    runningIndex: profile.sport === 'RUNNING' && hasHr ? Math.round(40 + random() * 25) : null,
  };
}

/** The `/v3/exercises` rendering: snake_case, hashed string id (`running-index` keeps its hyphen). */
export function toSnakeExercise(
  facts: ExerciseFacts,
  apiBase: string,
  polarUserId: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: facts.hashedId,
    upload_time: facts.uploadTime.toISOString(),
    polar_user: `${apiBase}/users/${polarUserId}`,
    device: facts.device,
    device_id: `${(polarUserId % 0xffff).toString(16).toUpperCase().padStart(4, '0')}A1B2`,
    start_time: facts.startLocal,
    start_time_utc_offset: facts.offsetMinutes,
    duration: facts.duration,
    calories: facts.calories,
    training_load: facts.trainingLoad,
    sport: facts.sport,
    has_route: facts.hasRoute,
    detailed_sport_info: facts.detailedSport,
    fat_percentage: 40,
    carbohydrate_percentage: 55,
    protein_percentage: 5,
  };
  if (facts.distance !== null) out.distance = facts.distance;
  if (facts.heartRate) out.heart_rate = facts.heartRate;
  if (facts.runningIndex !== null) out['running-index'] = facts.runningIndex;
  return out;
}

/** The transactional rendering: kebab-case, integer id, with the transaction id. */
export function toKebabExercise(
  facts: ExerciseFacts,
  apiBase: string,
  polarUserId: number,
  transactionId: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: facts.transactionalId,
    'upload-time': facts.uploadTime.toISOString(),
    'polar-user': `${apiBase}/users/${polarUserId}`,
    'transaction-id': transactionId,
    device: facts.device,
    'start-time': facts.startLocal,
    'start-time-utc-offset': facts.offsetMinutes,
    duration: facts.duration,
    calories: facts.calories,
    'training-load': facts.trainingLoad,
    sport: facts.sport,
    'has-route': facts.hasRoute,
    'detailed-sport-info': facts.detailedSport,
  };
  if (facts.distance !== null) out.distance = facts.distance;
  if (facts.heartRate) out['heart-rate'] = facts.heartRate;
  if (facts.runningIndex !== null) out['running-index'] = facts.runningIndex;
  return out;
}
