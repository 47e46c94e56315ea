import { createSportTypeMapper, type SportType } from '@trainlytics/core';

/**
 * Every Strava `SportType` (and the deprecated `ActivityType`, a subset of the same names) mapped to the
 * normalized vocabulary. Names missing here (Strava adds sports over time) map to `other`.
 *
 * This map is the one source of truth for Strava sports: migration 006 of `@trainlytics/migrations` re-maps
 * legacy rows with the same values, and its test fails when the two disagree (a change here needs a new
 * migration that re-maps the rows written with the old value). Choices for a training-analytics app:
 * `Crossfit` → `hiit` (mixed high-intensity conditioning, not a lifting session), `BackcountrySki` →
 * `cross_country_ski` (ski touring is an endurance effort dominated by the uphill, like Nordic skiing, not
 * lift-served descents), `Snowshoe` → `hike`.
 */
export const STRAVA_SPORT_TYPES: Readonly<Record<string, SportType>> = {
  AlpineSki: 'alpine_ski',
  BackcountrySki: 'cross_country_ski',
  Badminton: 'other',
  Canoeing: 'other',
  Crossfit: 'hiit',
  EBikeRide: 'e_bike_ride',
  Elliptical: 'elliptical',
  EMountainBikeRide: 'e_bike_ride',
  Golf: 'other',
  GravelRide: 'gravel_ride',
  Handcycle: 'ride',
  HighIntensityIntervalTraining: 'hiit',
  Hike: 'hike',
  IceSkate: 'other',
  InlineSkate: 'other',
  Kayaking: 'other',
  Kitesurf: 'other',
  MountainBikeRide: 'mountain_bike_ride',
  NordicSki: 'cross_country_ski',
  Pickleball: 'other',
  Pilates: 'other',
  Racquetball: 'other',
  Ride: 'ride',
  RockClimbing: 'other',
  RollerSki: 'cross_country_ski',
  Rowing: 'rowing',
  Run: 'run',
  Sail: 'other',
  Skateboard: 'other',
  Snowboard: 'alpine_ski',
  Snowshoe: 'hike',
  Soccer: 'other',
  Squash: 'other',
  StairStepper: 'other',
  StandUpPaddling: 'other',
  Surfing: 'other',
  Swim: 'swim',
  TableTennis: 'other',
  Tennis: 'other',
  TrailRun: 'trail_run',
  Velomobile: 'ride',
  VirtualRide: 'virtual_ride',
  VirtualRow: 'indoor_rowing',
  VirtualRun: 'virtual_run',
  Walk: 'walk',
  WeightTraining: 'strength_training',
  Wheelchair: 'other',
  Windsurf: 'other',
  Workout: 'other',
  Yoga: 'yoga',
};

/** The official `SportType` values, in the reference's order (the sandbox generates every one). */
export const STRAVA_SPORT_TYPE_NAMES: readonly string[] = Object.keys(STRAVA_SPORT_TYPES);

/** Maps a Strava sport name (case-insensitive) to the normalized vocabulary; unknown names → `other`. */
export const mapStravaSportType: (name: string | null | undefined) => SportType =
  createSportTypeMapper(STRAVA_SPORT_TYPES);
