import { createProfile, type NormalizedProfile } from '@trainlytics/core';
import type { GarminUserId } from './garmin-api';

/**
 * Garmin has no profile endpoint: no name, no avatar. The profile is the `userId` (stable across
 * re-authorizations and across the partner's programs), with every other field null.
 */
export function mapGarminProfile(user: GarminUserId): NormalizedProfile {
  return createProfile({ providerUserId: user.userId, raw: { userId: user.userId } });
}
