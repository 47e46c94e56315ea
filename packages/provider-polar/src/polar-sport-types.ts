import { createSportTypeMapper, type SportType } from '@trainlytics/core';

/**
 * Polar `detailed_sport_info` values (the fine-grained enum) to the normalized vocabulary. Values missing
 * here fall back to the coarse `sport`, then to `other`; the Polar name is kept in `providerSportType`.
 */
export const POLAR_DETAILED_SPORT_TYPES: Readonly<Record<string, SportType>> = {
  RUNNING: 'run',
  ROAD_RUNNING: 'run',
  TRACK_AND_FIELD_RUNNING: 'run',
  ULTRARUNNING_RUNNING: 'run',
  TRAIL_RUNNING: 'trail_run',
  TREADMILL_RUNNING: 'treadmill_run',
  VIRTUAL_RUNNING: 'virtual_run',
  CYCLING: 'ride',
  ROAD_BIKING: 'ride',
  MOUNTAIN_BIKING: 'mountain_bike_ride',
  GRAVEL_BIKING: 'gravel_ride',
  INDOOR_CYCLING: 'indoor_ride',
  SPINNING: 'indoor_ride',
  VIRTUAL_CYCLING: 'virtual_ride',
  E_BIKING: 'e_bike_ride',
  SWIMMING: 'swim',
  POOL_SWIMMING: 'swim',
  OPEN_WATER_SWIMMING: 'open_water_swim',
  WALKING: 'walk',
  NORDIC_WALKING: 'walk',
  HIKING: 'hike',
  ROWING: 'rowing',
  INDOOR_ROWING: 'indoor_rowing',
  STRENGTH_TRAINING: 'strength_training',
  CIRCUIT_TRAINING: 'strength_training',
  CORE: 'strength_training',
  YOGA: 'yoga',
  CROSS_COUNTRY_SKIING: 'cross_country_ski',
  CLASSIC_XC_SKIING: 'cross_country_ski',
  SKATING_XC_SKIING: 'cross_country_ski',
  DOWNHILL_SKIING: 'alpine_ski',
  BACKCOUNTRY_SKIING: 'alpine_ski',
  CROSS_TRAINER: 'elliptical',
  ELLIPTICAL: 'elliptical',
  HIIT: 'hiit',
  HIGH_INTENSITY_INTERVAL_TRAINING: 'hiit',
};

/** The coarse Polar `sport` values, used when `detailed_sport_info` is absent or unknown. */
export const POLAR_SPORT_TYPES: Readonly<Record<string, SportType>> = {
  RUNNING: 'run',
  CYCLING: 'ride',
  SWIMMING: 'swim',
  WALKING: 'walk',
  HIKING: 'hike',
  ROWING: 'rowing',
  STRENGTH_TRAINING: 'strength_training',
  YOGA: 'yoga',
  CROSS_COUNTRY_SKIING: 'cross_country_ski',
  DOWNHILL_SKIING: 'alpine_ski',
};

const detailedMapper = createSportTypeMapper(POLAR_DETAILED_SPORT_TYPES);
const coarseMapper = createSportTypeMapper(POLAR_SPORT_TYPES);

/** Maps a Polar exercise's `detailed_sport_info` (preferred) or `sport` to the normalized sport type. */
export function mapPolarSportType(
  detailed: string | null | undefined,
  sport: string | null | undefined,
): SportType {
  const fine = detailedMapper(detailed);
  return fine !== 'other' ? fine : coarseMapper(sport);
}
