import { createProfile, type JsonValue, type NormalizedProfile } from '@trainlytics/core';
import type { PolarUser } from './polar-api';

const nonEmpty = (v: string | null | undefined) => (v && v.trim().length > 0 ? v : null);

/**
 * Maps a Polar user (`GET /v3/users/{id}`, kebab-case) to the normalized profile. Polar has no avatar,
 * no public profile page and no location; `gender` is `MALE`/`FEMALE`.
 */
export function mapPolarProfile(user: PolarUser, raw: unknown): NormalizedProfile {
  const gender = user.gender?.toUpperCase();
  return createProfile({
    providerUserId: String(user['polar-user-id']),
    firstName: nonEmpty(user['first-name']),
    lastName: nonEmpty(user['last-name']),
    sex: gender === 'MALE' ? 'M' : gender === 'FEMALE' ? 'F' : null,
    raw: raw as JsonValue,
  });
}
