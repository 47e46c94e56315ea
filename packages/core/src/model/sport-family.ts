import type { SportType } from './sport-type';

/**
 * Sport families: which normalized sports can describe the same workout when two providers record it (a watch
 * says `run` where Strava says `trail_run`; a trainer app says `virtual_ride` where the watch says
 * `indoor_ride`). Cross-provider matching (migration 014, docs/decisions/0024-cross-provider-dedupe.md) pairs
 * two activities by time only when their families are equal or one of them is `other`; a `run` and a `ride`
 * in the same minutes are two workouts.
 *
 * The families follow the groups of `SPORT_TYPE_DEFINITIONS`, split where a group holds different movements
 * (swimming is not rowing). The SQL function `trainlytics_sport_family` is checked against this table by
 * packages/migrations/test/dedupe.test.ts.
 */
export const SPORT_TYPE_FAMILIES = {
  run: 'foot',
  trail_run: 'foot',
  treadmill_run: 'foot',
  virtual_run: 'foot',
  walk: 'foot',
  hike: 'foot',
  wheelchair: 'foot',
  ride: 'cycling',
  mountain_bike_ride: 'cycling',
  gravel_ride: 'cycling',
  indoor_ride: 'cycling',
  virtual_ride: 'cycling',
  e_bike_ride: 'cycling',
  swim: 'swim',
  open_water_swim: 'swim',
  rowing: 'paddle',
  indoor_rowing: 'paddle',
  paddling: 'paddle',
  stand_up_paddling: 'paddle',
  surfing: 'water',
  kitesurf: 'water',
  windsurf: 'water',
  sailing: 'water',
  diving: 'water',
  water_sport: 'water',
  cross_country_ski: 'snow',
  alpine_ski: 'snow',
  ice_skate: 'snow',
  winter_sport: 'snow',
  inline_skate: 'wheels',
  skateboard: 'wheels',
  strength_training: 'gym',
  hiit: 'gym',
  workout: 'gym',
  elliptical: 'gym',
  stair_stepper: 'gym',
  jump_rope: 'gym',
  yoga: 'mind_body',
  pilates: 'mind_body',
  stretching: 'mind_body',
  meditation: 'mind_body',
  dance: 'dance',
  martial_arts: 'martial_arts',
  climbing: 'climbing',
  tennis: 'racket',
  padel: 'racket',
  pickleball: 'racket',
  squash: 'racket',
  badminton: 'racket',
  table_tennis: 'racket',
  racquetball: 'racket',
  racket_sport: 'racket',
  soccer: 'team',
  basketball: 'team',
  volleyball: 'team',
  team_sport: 'team',
  golf: 'golf',
  shooting_sport: 'shooting_sport',
  multisport: 'multisport',
  horse_riding: 'horse_riding',
  motorsport: 'motorsport',
  air_sport: 'air_sport',
  hunting_fishing: 'hunting_fishing',
  other: 'other',
} as const satisfies Record<SportType, string>;

export type SportFamily = (typeof SPORT_TYPE_FAMILIES)[SportType];

/** Indoor sports: their distance is an estimate (trainer, treadmill, virtual world) and is never compared. */
export const INDOOR_SPORT_TYPES: readonly SportType[] = [
  'treadmill_run',
  'virtual_run',
  'indoor_ride',
  'virtual_ride',
  'indoor_rowing',
];

/** The family of a sport id; an unknown id is `other`. */
export function sportTypeFamily(sport: string | null | undefined): SportFamily {
  // own keys only: `valueOf` or `constructor` is not a sport, and must not read Object.prototype
  return sport && Object.hasOwn(SPORT_TYPE_FAMILIES, sport)
    ? (SPORT_TYPE_FAMILIES as Record<string, SportFamily>)[sport]!
    : 'other';
}

/** Whether two sports can be one workout: the same family, or one of them `other` (or unknown). */
export function sportTypesCompatible(a: string | null | undefined, b: string | null | undefined): boolean {
  const fa = sportTypeFamily(a);
  const fb = sportTypeFamily(b);
  return fa === fb || fa === 'other' || fb === 'other';
}
