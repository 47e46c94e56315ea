/**
 * The `sport_type` values the sandbox's generated activities carry: the `SportType` enum of Strava's API v3
 * reference (https://developers.strava.com/docs/reference/#api-models-SportType; the project's reference
 * notes §1.3), written out from the documentation, in its (alphabetical) order. The sandbox keeps its own
 * copy of Strava's vocabulary on purpose: it never reads the plugin's mapping, so a sport type the plugin
 * forgot still reaches it (issue 13). Strava adds values over time; a history may be given any names
 * (`HistoryShape.sportTypes`).
 */
const STRAVA_SPORT_TYPE_ENUM = `
  AlpineSki BackcountrySki Badminton Canoeing Crossfit EBikeRide Elliptical EMountainBikeRide Golf
  GravelRide Handcycle HighIntensityIntervalTraining Hike IceSkate InlineSkate Kayaking Kitesurf
  MountainBikeRide NordicSki Pickleball Pilates Racquetball Ride RockClimbing RollerSki Rowing Run Sail
  Skateboard Snowboard Snowshoe Soccer Squash StairStepper StandUpPaddling Surfing Swim TableTennis Tennis
  TrailRun Velomobile VirtualRide VirtualRow VirtualRun Walk WeightTraining Wheelchair Windsurf Workout Yoga
`;

/** Strava's documented SportType values (50), in the reference's order. */
export const DOCUMENTED_SPORT_TYPES: readonly string[] = Object.freeze(
  STRAVA_SPORT_TYPE_ENUM.trim().split(/\s+/),
);
