import { createSportTypeMapper, type SportType } from '@trainlytics/core';

/**
 * Garmin `activityType` values and their normalized sport type. Garmin's full list is in a confidential
 * appendix; these are the documented and commonly seen ones. Anything else maps to `other` (the Garmin
 * name is kept in `providerSportType`).
 */
export const GARMIN_SPORT_TYPES: Readonly<Record<string, SportType>> = {
  RUNNING: 'run',
  STREET_RUNNING: 'run',
  TRACK_RUNNING: 'run',
  ULTRA_RUN: 'run',
  OBSTACLE_RUN: 'trail_run',
  TRAIL_RUNNING: 'trail_run',
  TREADMILL_RUNNING: 'treadmill_run',
  INDOOR_RUNNING: 'treadmill_run',
  VIRTUAL_RUN: 'virtual_run',
  CYCLING: 'ride',
  ROAD_BIKING: 'ride',
  TRACK_CYCLING: 'ride',
  RECUMBENT_CYCLING: 'ride',
  HAND_CYCLING: 'ride',
  CYCLOCROSS: 'gravel_ride',
  GRAVEL_CYCLING: 'gravel_ride',
  MOUNTAIN_BIKING: 'mountain_bike_ride',
  DOWNHILL_BIKING: 'mountain_bike_ride',
  BMX: 'mountain_bike_ride',
  INDOOR_CYCLING: 'indoor_ride',
  INDOOR_HAND_CYCLING: 'indoor_ride',
  VIRTUAL_RIDE: 'virtual_ride',
  E_BIKE_FITNESS: 'e_bike_ride',
  E_BIKE_MOUNTAIN: 'e_bike_ride',
  LAP_SWIMMING: 'swim',
  SWIMMING: 'swim',
  OPEN_WATER_SWIMMING: 'open_water_swim',
  WALKING: 'walk',
  CASUAL_WALKING: 'walk',
  SPEED_WALKING: 'walk',
  INDOOR_WALKING: 'walk',
  HIKING: 'hike',
  MOUNTAINEERING: 'hike',
  ROWING: 'rowing',
  ROWING_V2: 'rowing',
  INDOOR_ROWING: 'indoor_rowing',
  STRENGTH_TRAINING: 'strength_training',
  YOGA: 'yoga',
  CROSS_COUNTRY_SKIING_WS: 'cross_country_ski',
  SKATE_SKIING_WS: 'cross_country_ski',
  BACKCOUNTRY_SKIING_SNOWBOARDING_WS: 'alpine_ski',
  RESORT_SKIING_SNOWBOARDING_WS: 'alpine_ski',
  ELLIPTICAL: 'elliptical',
  HIIT: 'hiit',
};

/** Maps a Garmin `activityType` (case-insensitive) to the normalized vocabulary; unknown ones to `other`. */
export const mapGarminSportType = createSportTypeMapper(GARMIN_SPORT_TYPES);
