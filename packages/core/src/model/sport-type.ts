/**
 * The normalized sport-type vocabulary. Every provider's own sport names map onto one of these; a name
 * with no category (or one a provider adds later) maps to `other`, and the provider's name is always kept
 * in `providerSportType` (and the payload in `raw`), so a later vocabulary can re-map stored rows.
 *
 * The vocabulary is versioned: `SPORT_VOCABULARY_VERSION` is bumped whenever an id is added, and each
 * definition names the version that introduced it (`since`). Ids are never removed or renamed (stored rows
 * and apps that switch on them depend on them); a new version only adds ids and moves provider names that
 * used to land in `other` (or a coarser id) onto a new one, with a migration that re-maps stored rows from
 * their provider name (version 2: `@trainlytics/migrations` 012). `displayName` is the English label a UI
 * shows (`sportTypeDisplayName`).
 */
export interface SportTypeDefinition {
  readonly id: string;
  readonly displayName: string;
  /** The vocabulary version that introduced the id. */
  readonly since: number;
}

/** The version of `SPORT_TYPE_DEFINITIONS`; see docs/decisions/0017-sport-vocabulary-v2.md. */
export const SPORT_VOCABULARY_VERSION = 2;

export const SPORT_TYPE_DEFINITIONS = [
  // Foot
  { id: 'run', displayName: 'Run', since: 1 },
  { id: 'trail_run', displayName: 'Trail run', since: 1 },
  { id: 'treadmill_run', displayName: 'Treadmill run', since: 1 },
  { id: 'virtual_run', displayName: 'Virtual run', since: 1 },
  { id: 'walk', displayName: 'Walk', since: 1 },
  { id: 'hike', displayName: 'Hike', since: 1 },
  { id: 'wheelchair', displayName: 'Wheelchair', since: 2 },
  // Cycling
  { id: 'ride', displayName: 'Ride', since: 1 },
  { id: 'mountain_bike_ride', displayName: 'Mountain bike ride', since: 1 },
  { id: 'gravel_ride', displayName: 'Gravel ride', since: 1 },
  { id: 'indoor_ride', displayName: 'Indoor ride', since: 1 },
  { id: 'virtual_ride', displayName: 'Virtual ride', since: 1 },
  { id: 'e_bike_ride', displayName: 'E-bike ride', since: 1 },
  // Water
  { id: 'swim', displayName: 'Swim', since: 1 },
  { id: 'open_water_swim', displayName: 'Open water swim', since: 1 },
  { id: 'rowing', displayName: 'Rowing', since: 1 },
  { id: 'indoor_rowing', displayName: 'Indoor rowing', since: 1 },
  { id: 'paddling', displayName: 'Canoe & kayak', since: 2 },
  { id: 'stand_up_paddling', displayName: 'Stand-up paddling', since: 2 },
  { id: 'surfing', displayName: 'Surfing', since: 2 },
  { id: 'kitesurf', displayName: 'Kitesurf', since: 2 },
  { id: 'windsurf', displayName: 'Windsurf', since: 2 },
  { id: 'sailing', displayName: 'Sailing', since: 2 },
  { id: 'diving', displayName: 'Diving', since: 2 },
  { id: 'water_sport', displayName: 'Water sport', since: 2 },
  // Snow and ice
  { id: 'cross_country_ski', displayName: 'Cross-country ski', since: 1 },
  { id: 'alpine_ski', displayName: 'Alpine ski', since: 1 },
  { id: 'ice_skate', displayName: 'Ice skate', since: 2 },
  { id: 'winter_sport', displayName: 'Winter sport', since: 2 },
  // Wheels
  { id: 'inline_skate', displayName: 'Inline skate', since: 2 },
  { id: 'skateboard', displayName: 'Skateboard', since: 2 },
  // Gym and fitness
  { id: 'strength_training', displayName: 'Strength training', since: 1 },
  { id: 'hiit', displayName: 'HIIT', since: 1 },
  { id: 'workout', displayName: 'Workout', since: 2 },
  { id: 'elliptical', displayName: 'Elliptical', since: 1 },
  { id: 'stair_stepper', displayName: 'Stair stepper', since: 2 },
  { id: 'jump_rope', displayName: 'Jump rope', since: 2 },
  { id: 'yoga', displayName: 'Yoga', since: 1 },
  { id: 'pilates', displayName: 'Pilates', since: 2 },
  { id: 'stretching', displayName: 'Stretching & mobility', since: 2 },
  { id: 'meditation', displayName: 'Meditation & breathwork', since: 2 },
  { id: 'dance', displayName: 'Dance', since: 2 },
  { id: 'martial_arts', displayName: 'Martial arts & boxing', since: 2 },
  { id: 'climbing', displayName: 'Climbing', since: 2 },
  // Racket sports
  { id: 'tennis', displayName: 'Tennis', since: 2 },
  { id: 'padel', displayName: 'Padel', since: 2 },
  { id: 'pickleball', displayName: 'Pickleball', since: 2 },
  { id: 'squash', displayName: 'Squash', since: 2 },
  { id: 'badminton', displayName: 'Badminton', since: 2 },
  { id: 'table_tennis', displayName: 'Table tennis', since: 2 },
  { id: 'racquetball', displayName: 'Racquetball', since: 2 },
  { id: 'racket_sport', displayName: 'Racket sport', since: 2 },
  // Team and target sports
  { id: 'soccer', displayName: 'Football (soccer)', since: 2 },
  { id: 'basketball', displayName: 'Basketball', since: 2 },
  { id: 'volleyball', displayName: 'Volleyball', since: 2 },
  { id: 'team_sport', displayName: 'Team sport', since: 2 },
  { id: 'golf', displayName: 'Golf', since: 2 },
  { id: 'shooting_sport', displayName: 'Shooting & archery', since: 2 },
  // Everything else with a category
  { id: 'multisport', displayName: 'Multisport', since: 2 },
  { id: 'horse_riding', displayName: 'Horse riding', since: 2 },
  { id: 'motorsport', displayName: 'Motorsport', since: 2 },
  { id: 'air_sport', displayName: 'Air sport', since: 2 },
  { id: 'hunting_fishing', displayName: 'Hunting & fishing', since: 2 },
  { id: 'other', displayName: 'Other', since: 1 },
] as const satisfies readonly SportTypeDefinition[];

export type SportType = (typeof SPORT_TYPE_DEFINITIONS)[number]['id'];

/** Every normalized id, in `SPORT_TYPE_DEFINITIONS` order (a list of strings, as in version 1). */
export const SPORT_TYPES: readonly SportType[] = SPORT_TYPE_DEFINITIONS.map((d) => d.id);

const definitions: ReadonlyMap<string, SportTypeDefinition> = new Map(
  SPORT_TYPE_DEFINITIONS.map((d) => [d.id, d]),
);

export function isSportType(value: unknown): value is SportType {
  return typeof value === 'string' && definitions.has(value);
}

/**
 * The label for a normalized id (`table_tennis` → `Table tennis`). A value outside the vocabulary (a row
 * written by a newer SDK, or by the app itself) is returned as it is, so a UI never hides what is stored.
 */
export function sportTypeDisplayName(id: string): string {
  return definitions.get(id)?.displayName ?? id;
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

/** How many of a provider's documented sport names land in `other` (see `sportTypeCoverage`). */
export interface SportTypeCoverage {
  readonly documented: number;
  /** The documented names that map to `other`, in the list's order. */
  readonly other: readonly string[];
  /** `other.length / documented` (0 for an empty list). */
  readonly otherShare: number;
}

/** Maps every documented name and reports those that land in `other`. */
export function sportTypeCoverage(
  documented: readonly string[],
  map: (name: string) => SportType,
): SportTypeCoverage {
  const other = documented.filter((name) => map(name) === 'other');
  return {
    documented: documented.length,
    other,
    otherShare: documented.length === 0 ? 0 : other.length / documented.length,
  };
}
