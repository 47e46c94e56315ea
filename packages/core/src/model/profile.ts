import type { JsonValue } from './json';

/**
 * The provider account's profile, normalized. Stored in `provider_connections.provider_profile` with the
 * legacy key names (`firstname`, `lastname`, `profile_url`, `profile_picture`, …) so rows migrated from
 * `strava_connections` read the same as new ones.
 */
export interface NormalizedProfile {
  /** The provider's stable id of the account (Strava athlete id, Garmin userId, Polar user id), as a string. */
  providerUserId: string;
  firstName: string | null;
  lastName: string | null;
  /** Link to the profile page at the provider. */
  profileUrl: string | null;
  /** An absolute avatar URL, or null (placeholder paths are not URLs). */
  avatarUrl: string | null;
  city: string | null;
  country: string | null;
  sex: 'M' | 'F' | null;
  measurementPreference: 'meters' | 'feet' | null;
  /** The provider's payload (without tokens). */
  raw: JsonValue;
}

export function createProfile(
  fields: Pick<NormalizedProfile, 'providerUserId'> & Partial<NormalizedProfile>,
): NormalizedProfile {
  return {
    firstName: null,
    lastName: null,
    profileUrl: null,
    avatarUrl: null,
    city: null,
    country: null,
    sex: null,
    measurementPreference: null,
    raw: null,
    ...fields,
  };
}

/** The `provider_profile` column form of a profile. */
export function profileToJson(profile: NormalizedProfile): { [key: string]: JsonValue } {
  return {
    firstname: profile.firstName,
    lastname: profile.lastName,
    profile_url: profile.profileUrl,
    profile_picture: profile.avatarUrl,
    city: profile.city,
    country: profile.country,
    sex: profile.sex,
    measurement_preference: profile.measurementPreference,
  };
}

/** Reads a `provider_profile` column (new or migrated from `strava_connections`). */
export function profileFromJson(providerUserId: string, json: unknown): NormalizedProfile {
  const o = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
  const sex = o.sex === 'M' || o.sex === 'F' ? o.sex : null;
  const pref =
    o.measurement_preference === 'meters' || o.measurement_preference === 'feet'
      ? o.measurement_preference
      : null;
  return createProfile({
    providerUserId,
    firstName: str(o.firstname),
    lastName: str(o.lastname),
    profileUrl: str(o.profile_url),
    avatarUrl: str(o.profile_picture),
    city: str(o.city),
    country: str(o.country),
    sex,
    measurementPreference: pref,
    raw: null,
  });
}
