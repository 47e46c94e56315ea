/**
 * The normalized sport-type vocabulary. Every provider's own sport names map onto one of these;
 * an unknown name maps to `other` and the provider's name is kept in `providerSportType`.
 */
export const SPORT_TYPES = [
  'run',
  'trail_run',
  'treadmill_run',
  'virtual_run',
  'ride',
  'mountain_bike_ride',
  'gravel_ride',
  'indoor_ride',
  'virtual_ride',
  'e_bike_ride',
  'swim',
  'open_water_swim',
  'walk',
  'hike',
  'rowing',
  'indoor_rowing',
  'strength_training',
  'yoga',
  'cross_country_ski',
  'alpine_ski',
  'elliptical',
  'hiit',
  'other',
] as const;

export type SportType = (typeof SPORT_TYPES)[number];

const sportTypeSet: ReadonlySet<string> = new Set(SPORT_TYPES);

export function isSportType(value: unknown): value is SportType {
  return typeof value === 'string' && sportTypeSet.has(value);
}

/**
 * Builds a case-insensitive mapper from a provider's sport names to the normalized vocabulary.
 * Names missing from the table map to `other`: a new sport at the provider never breaks a sync.
 */
export function createSportTypeMapper(
  table: Readonly<Record<string, SportType>>,
): (name: string | null | undefined) => SportType {
  const normalized = new Map<string, SportType>();
  for (const [key, value] of Object.entries(table)) normalized.set(key.toLowerCase(), value);
  return (name) => (name ? (normalized.get(name.toLowerCase()) ?? 'other') : 'other');
}
