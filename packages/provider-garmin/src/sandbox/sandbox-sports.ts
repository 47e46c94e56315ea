/** The sports of generated histories: every activity type the reference documents, with plausible ranges. */

export interface SportSpec {
  type: string;
  label: string;
  /** Indoor: no distance, no GPS, no elevation. */
  indoor?: boolean;
  /** Speed range in m/s when the sport has a distance. */
  speed?: [number, number];
  /** Duration range in seconds. */
  duration: [number, number];
}

/**
 * Every sport type of the normalized vocabulary's version 1 is covered, and every activity type the
 * reference documents (E_SPORT, video gaming, has no sport category: it maps to `other`). Consecutive indexes take consecutive sports, so any
 * `SANDBOX_SPORTS.length` activities cover them all.
 */
export const SANDBOX_SPORTS: readonly SportSpec[] = [
  { type: 'RUNNING', label: 'Run', speed: [2.6, 4.2], duration: [1200, 5400] },
  { type: 'TRAIL_RUNNING', label: 'Trail Run', speed: [2.0, 3.4], duration: [1800, 7200] },
  { type: 'TREADMILL_RUNNING', label: 'Treadmill Run', indoor: true, duration: [1200, 3600] },
  { type: 'VIRTUAL_RUN', label: 'Virtual Run', speed: [2.6, 4.0], duration: [1200, 3600] },
  { type: 'CYCLING', label: 'Ride', speed: [6, 10], duration: [2400, 10800] },
  { type: 'MOUNTAIN_BIKING', label: 'Mountain Bike Ride', speed: [3.5, 6], duration: [2400, 9000] },
  { type: 'GRAVEL_CYCLING', label: 'Gravel Ride', speed: [5, 8], duration: [2400, 10800] },
  { type: 'INDOOR_CYCLING', label: 'Indoor Cycling', indoor: true, duration: [1800, 5400] },
  { type: 'VIRTUAL_RIDE', label: 'Virtual Ride', speed: [7, 10], duration: [1800, 5400] },
  { type: 'E_BIKE_FITNESS', label: 'E-Bike Ride', speed: [6, 9], duration: [1800, 5400] },
  { type: 'LAP_SWIMMING', label: 'Pool Swim', speed: [0.7, 1.3], duration: [1200, 3600] },
  { type: 'OPEN_WATER_SWIMMING', label: 'Open Water Swim', speed: [0.7, 1.2], duration: [1200, 3600] },
  { type: 'WALKING', label: 'Walk', speed: [1.1, 1.6], duration: [900, 5400] },
  { type: 'HIKING', label: 'Hike', speed: [0.8, 1.4], duration: [3600, 14400] },
  { type: 'ROWING', label: 'Row', speed: [2.5, 4], duration: [1800, 5400] },
  { type: 'INDOOR_ROWING', label: 'Indoor Row', indoor: true, duration: [900, 3600] },
  { type: 'STRENGTH_TRAINING', label: 'Strength', indoor: true, duration: [1800, 4500] },
  { type: 'YOGA', label: 'Yoga', indoor: true, duration: [1800, 4500] },
  { type: 'CROSS_COUNTRY_SKIING_WS', label: 'Cross Country Ski', speed: [2.5, 5], duration: [2400, 9000] },
  { type: 'RESORT_SKIING_SNOWBOARDING_WS', label: 'Resort Skiing', speed: [4, 9], duration: [3600, 14400] },
  { type: 'ELLIPTICAL', label: 'Elliptical', indoor: true, duration: [1200, 3600] },
  { type: 'HIIT', label: 'HIIT', indoor: true, duration: [900, 2700] },
  { type: 'E_SPORT', label: 'Esports', indoor: true, duration: [2700, 7200] },
  // the rest of the documented running types (reference §2.2)
  { type: 'INDOOR_RUNNING', label: 'Indoor Run', indoor: true, duration: [1200, 3600] },
  { type: 'TRACK_RUNNING', label: 'Track Run', speed: [3, 5], duration: [1200, 3600] },
  { type: 'STREET_RUNNING', label: 'Street Run', speed: [2.6, 4.2], duration: [1200, 5400] },
  { type: 'ULTRA_RUN', label: 'Ultra Run', speed: [2, 3.2], duration: [14400, 36000] },
  { type: 'OBSTACLE_RUN', label: 'Obstacle Run', speed: [1.8, 3], duration: [1800, 5400] },
];
