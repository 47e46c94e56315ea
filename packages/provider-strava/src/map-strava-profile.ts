import { createProfile, type JsonValue, type NormalizedProfile, ValidationError } from '@trainlytics/core';
import type { StravaAthlete } from './strava-api';

/** Strava's avatar fields hold a relative placeholder (`avatar/athlete/large.png`) when there is no photo. */
function absoluteUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/**
 * Maps a Strava athlete (`GET /athlete`, or the `athlete` of the code exchange) to the normalized profile.
 * `profileUrl` is the athlete's public page; `avatarUrl` the 124 px photo (62 px as a fallback), null for
 * the placeholder path.
 */
export function mapStravaProfile(athlete: StravaAthlete, raw: unknown): NormalizedProfile {
  if (typeof athlete.id === 'number' && !Number.isSafeInteger(athlete.id)) {
    throw new ValidationError(
      `strava athlete ${athlete.id} has an id beyond 2^53 that was rounded when parsed: it cannot be stored`,
      {
        provider: 'strava',
        entity: 'athlete',
        itemId: String(athlete.id),
        issues: [{ path: 'id', message: 'integer beyond 2^53' }],
        hint: 'parse Strava bodies with parseStravaJson so int64 ids stay exact',
      },
    );
  }
  const id = String(athlete.id);
  return createProfile({
    providerUserId: id,
    firstName: athlete.firstname || null,
    lastName: athlete.lastname || null,
    profileUrl: `https://www.strava.com/athletes/${id}`,
    avatarUrl: absoluteUrl(athlete.profile) ?? absoluteUrl(athlete.profile_medium),
    city: athlete.city || null,
    country: athlete.country || null,
    sex: athlete.sex ?? null,
    measurementPreference: athlete.measurement_preference ?? null,
    raw: raw as JsonValue,
  });
}
