import { profileFromJson } from '../model/profile';
import type { ConnectionRecord } from '../store/store';
import type { Connection } from './types';

/** The public view of a stored connection: never the tokens. */
export function toPublicConnection(record: ConnectionRecord): Connection {
  const profile = profileFromJson(record.providerUserId, record.providerProfile);
  const raw = record.providerProfile.raw;
  if (raw !== undefined) profile.raw = raw;
  return {
    id: record.id,
    userId: record.userId,
    provider: record.provider,
    providerUserId: record.providerUserId,
    scopes: [...record.scopes],
    profile,
    status: !record.isActive ? 'inactive' : record.reauthRequired ? 'reauth_required' : 'active',
    lastSyncAt: record.lastSyncAt,
    lastError: record.lastError,
    tokenExpiresAt: record.tokenExpiresAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
