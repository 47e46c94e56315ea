import { createSportTypeMapper, type SportType } from '@trainlytics/core';

/**
 * Strava's documented `SportType` values, in the reference's order: the `SportType` enum of the Strava API
 * v3 reference (https://developers.strava.com/docs/reference/#api-models-SportType, as listed in the
 * project's reference notes §1.3, and identical to the enum of the published `strava-api-client` 1.4.0
 * package). The deprecated `ActivityType` is a subset of these names. `sportTypeCoverage` over this list is
 * the figure README reports (share of documented types that land in `other`).
 */
export const STRAVA_DOCUMENTED_SPORT_TYPES: readonly string[] = [
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

/**
 * Documented names that map to `other` on purpose (none: `Workout`, Strava's generic type, is a `workout`).
 * The plugin's test fails when a documented name lands in `other` without being listed here.
 */
export const STRAVA_OTHER_SPORT_TYPES: Readonly<Record<string, string>> = {};

/**
 * Every Strava `SportType` (and the deprecated `ActivityType`, a subset of the same names) mapped to the
 * normalized vocabulary (version 2, see `SPORT_VOCABULARY_VERSION`). Names missing here (Strava adds sports
 * over time) map to `other`; `Padel` and `Dance` are names Strava's apps show but the API reference does
 * not list yet [unverified], mapped ahead.
 *
 * This map is the one source of truth for Strava sports: migrations 006 (version 1) and 012 (version 2) of
 * `@trainlytics/migrations` re-map stored rows with the same values, and their tests fail when the two
 * disagree (a change here needs a new migration that re-maps the rows written with the old value).
 * Choices for a training-analytics app: `Crossfit` → `hiit` (mixed high-intensity conditioning, not a
 * lifting session), `BackcountrySki` → `cross_country_ski` (ski touring is an endurance effort dominated by
 * the uphill, like Nordic skiing, not lift-served descents), `Snowshoe` → `hike`, `Handcycle` and
 * `Velomobile` → `ride`, `Canoeing` and `Kayaking` → `paddling`.
 */
export const STRAVA_SPORT_TYPES: Readonly<Record<string, SportType>> = {
  AlpineSki: 'alpine_ski',
  BackcountrySki: 'cross_country_ski',
  Badminton: 'badminton',
  Canoeing: 'paddling',
  Crossfit: 'hiit',
  EBikeRide: 'e_bike_ride',
  Elliptical: 'elliptical',
  EMountainBikeRide: 'e_bike_ride',
  Golf: 'golf',
  GravelRide: 'gravel_ride',
  Handcycle: 'ride',
  HighIntensityIntervalTraining: 'hiit',
  Hike: 'hike',
  IceSkate: 'ice_skate',
  InlineSkate: 'inline_skate',
  Kayaking: 'paddling',
  Kitesurf: 'kitesurf',
  MountainBikeRide: 'mountain_bike_ride',
  NordicSki: 'cross_country_ski',
  Pickleball: 'pickleball',
  Pilates: 'pilates',
  Racquetball: 'racquetball',
  Ride: 'ride',
  RockClimbing: 'climbing',
  RollerSki: 'cross_country_ski',
  Rowing: 'rowing',
  Run: 'run',
  Sail: 'sailing',
  Skateboard: 'skateboard',
  Snowboard: 'alpine_ski',
  Snowshoe: 'hike',
  Soccer: 'soccer',
  Squash: 'squash',
  StairStepper: 'stair_stepper',
  StandUpPaddling: 'stand_up_paddling',
  Surfing: 'surfing',
  Swim: 'swim',
  TableTennis: 'table_tennis',
  Tennis: 'tennis',
  TrailRun: 'trail_run',
  Velomobile: 'ride',
  VirtualRide: 'virtual_ride',
  VirtualRow: 'indoor_rowing',
  VirtualRun: 'virtual_run',
  Walk: 'walk',
  WeightTraining: 'strength_training',
  Wheelchair: 'wheelchair',
  Windsurf: 'windsurf',
  Workout: 'workout',
  Yoga: 'yoga',
  // Beyond the reference's enum [unverified]
  Padel: 'padel',
  Dance: 'dance',
};

/** The official `SportType` values, in the reference's order (the sandbox generates every one). */
export const STRAVA_SPORT_TYPE_NAMES: readonly string[] = STRAVA_DOCUMENTED_SPORT_TYPES;

/** Maps a Strava sport name (case-insensitive) to the normalized vocabulary; unknown names → `other`. */
export const mapStravaSportType: (name: string | null | undefined) => SportType =
  createSportTypeMapper(STRAVA_SPORT_TYPES);
