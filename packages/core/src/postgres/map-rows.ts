import type { NormalizedActivity } from '../model/activity';
import type { JsonObject, JsonValue } from '../model/json';
import type { SportType } from '../model/sport-type';
import type {
  ActivityRow,
  CanonicalActivityRow,
  ConnectionPatch,
  ConnectionRecord,
  ConnectionUpsert,
  DedupeBatchResult,
  LeaseRecord,
  OAuthStateRecord,
  SyncRecord,
  SyncStatus,
  SyncType,
  TokenUpdate,
} from '../store/store';
import type {
  ConnectionPatchArgs,
  PageActivityArgs,
  SaveOAuthStateArgs,
  UpdateTokensArgs,
  UpsertConnectionArgs,
} from './store-function-args';

/** A row as the 003 functions return it: `to_jsonb(row)`, snake_case keys, instants as ISO strings. */
export type JsonRow = Record<string, unknown>;

function date(value: unknown): Date {
  return new Date(value as string);
}

function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : new Date(value as string);
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function iso(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}

/** The rows of a function returning a JSON array (`[]` for null). */
export function rowsOf(value: unknown): JsonRow[] {
  return Array.isArray(value) ? (value as JsonRow[]) : [];
}

export function toConnectionRecord(row: JsonRow): ConnectionRecord {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    provider: String(row.provider),
    providerUserId: String(row.provider_user_id),
    accessToken: String(row.access_token),
    refreshToken: stringOrNull(row.refresh_token),
    tokenExpiresAt: dateOrNull(row.token_expires_at),
    refreshTokenExpiresAt: dateOrNull(row.refresh_token_expires_at),
    scopes: Array.isArray(row.scopes) ? (row.scopes as string[]) : [],
    providerProfile: (row.provider_profile ?? {}) as JsonObject,
    isActive: Boolean(row.is_active),
    reauthRequired: Boolean(row.reauth_required),
    lastError: stringOrNull(row.last_error),
    lastSyncAt: dateOrNull(row.last_sync_at),
    syncCursor: (row.sync_cursor ?? null) as JsonValue | null,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

export function toOAuthStateRecord(row: JsonRow): OAuthStateRecord {
  return {
    state: String(row.state),
    provider: String(row.provider),
    userId: Number(row.user_id),
    redirectUri: String(row.redirect_uri),
    codeVerifier: stringOrNull(row.code_verifier),
    scopes: Array.isArray(row.scopes) ? (row.scopes as string[]) : [],
    returnTo: stringOrNull(row.return_to),
    createdAt: date(row.created_at),
    expiresAt: date(row.expires_at),
  };
}

export function toLeaseRecord(row: JsonRow): LeaseRecord {
  return { key: String(row.key), owner: String(row.owner), expiresAt: date(row.expires_at) };
}

export function toSyncRecord(row: JsonRow): SyncRecord {
  return {
    id: Number(row.id),
    connectionId: Number(row.connection_id),
    syncType: row.sync_type as SyncType,
    status: row.sync_status as SyncStatus,
    startedAt: date(row.sync_started_at),
    completedAt: dateOrNull(row.sync_completed_at),
    activitiesCreated: Number(row.activities_created ?? 0),
    activitiesUpdated: Number(row.activities_updated ?? 0),
    activitiesDeleted: Number(row.activities_deleted ?? 0),
    activitiesRejected: Number(row.activities_rejected ?? 0),
    requestsMade: Number(row.requests_made ?? 0),
    errorName: stringOrNull(row.error_name),
    errorMessage: stringOrNull(row.error_message),
    errors: Array.isArray(row.errors) ? (row.errors as JsonValue[]) : [],
    cursorBefore: (row.cursor_before ?? null) as JsonValue | null,
    cursorAfter: (row.cursor_after ?? null) as JsonValue | null,
  };
}

/** `timestamp` columns come back as `YYYY-MM-DDTHH:mm:ss[.ffffff]`; the model keeps whole seconds. */
function localDateTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return String(value).slice(0, 19);
}

export function toActivityRow(row: JsonRow): ActivityRow {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    connectionId: numberOrNull(row.connection_id),
    provider: stringOrNull(row.provider),
    // (a legacy row without one comes under its Strava id: trainlytics_activity_json, ADR 0040; a manual one '')
    providerActivityId: String(row.provider_activity_id ?? ''),
    name: stringOrNull(row.name),
    sportType: (row.sport_type ?? 'other') as SportType,
    providerSportType: stringOrNull(row.provider_sport_type),
    startDate: date(row.start_date),
    startDateLocal: localDateTime(row.start_date_local),
    utcOffsetS: numberOrNull(row.utc_offset_s),
    elapsedTimeS: numberOrNull(row.elapsed_time_s),
    movingTimeS: numberOrNull(row.moving_time_s),
    distanceM: numberOrNull(row.distance_m),
    totalElevationGainM: numberOrNull(row.total_elevation_gain_m),
    averageHeartrate: numberOrNull(row.average_heartrate),
    maxHeartrate: numberOrNull(row.max_heartrate),
    calories: numberOrNull(row.calories),
    averageSpeedMps: numberOrNull(row.average_speed_mps),
    maxSpeedMps: numberOrNull(row.max_speed_mps),
    isManual: Boolean(row.is_manual),
    deviceName: stringOrNull(row.device_name),
    raw: (row.raw ?? null) as JsonValue,
    // NULL: written before migration 011, how complete is unknown (merged as a detail)
    detail: row.detail === 'summary' ? 'summary' : 'detail',
    updatedAt: date(row.updated_at),
  };
}

/** A row of `trainlytics_list_canonical_activities` (migration 014). */
export function toCanonicalActivityRow(row: JsonRow): CanonicalActivityRow {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    connectionId: numberOrNull(row.connection_id),
    provider: stringOrNull(row.provider),
    providerActivityId: String(row.provider_activity_id ?? ''),
    name: stringOrNull(row.name),
    sportType: (row.sport_type ?? 'other') as SportType,
    startDate: date(row.start_date),
    startDateLocal: localDateTime(row.start_date_local),
    utcOffsetS: numberOrNull(row.utc_offset_s),
    elapsedTimeS: numberOrNull(row.elapsed_time_s),
    movingTimeS: numberOrNull(row.moving_time_s),
    distanceM: numberOrNull(row.distance_m),
    totalElevationGainM: numberOrNull(row.total_elevation_gain_m),
    averageHeartrate: numberOrNull(row.average_heartrate),
    maxHeartrate: numberOrNull(row.max_heartrate),
    calories: numberOrNull(row.calories),
    deviceName: stringOrNull(row.device_name),
    providers: rowsOf(row.providers).map(String),
    activityIds: rowsOf(row.activity_ids).map(Number),
  };
}

/** The result of `trainlytics_dedupe` (migration 014). */
export function toDedupeBatchResult(row: JsonRow): DedupeBatchResult {
  return {
    users: Number(row.users ?? 0),
    lastUserId: numberOrNull(row.last_user_id),
    activities: Number(row.activities ?? 0),
    groups: Number(row.groups ?? 0),
    grouped: Number(row.grouped ?? 0),
    matches: Number(row.matches ?? 0),
  };
}

export function connectionUpsertArgs(input: ConnectionUpsert, now: Date): UpsertConnectionArgs {
  return {
    user_id: input.userId,
    provider: input.provider,
    provider_user_id: input.providerUserId,
    access_token: input.accessToken,
    refresh_token: input.refreshToken,
    token_expires_at: iso(input.tokenExpiresAt),
    refresh_token_expires_at: iso(input.refreshTokenExpiresAt),
    scopes: input.scopes,
    provider_profile: input.providerProfile,
    now: now.toISOString(),
  };
}

/** Only the keys present in the patch are sent: the function writes exactly those columns. */
export function connectionPatchArgs(patch: ConnectionPatch): ConnectionPatchArgs {
  const out: ConnectionPatchArgs = {};
  if (patch.isActive !== undefined) out.is_active = patch.isActive;
  if (patch.reauthRequired !== undefined) out.reauth_required = patch.reauthRequired;
  if (patch.lastError !== undefined) out.last_error = patch.lastError;
  if (patch.scopes !== undefined) out.scopes = patch.scopes;
  if (patch.providerProfile !== undefined) out.provider_profile = patch.providerProfile;
  if (patch.syncCursor !== undefined) out.sync_cursor = patch.syncCursor;
  if (patch.lastSyncAt !== undefined) out.last_sync_at = iso(patch.lastSyncAt);
  return out;
}

/**
 * With `expectedRefreshToken` given (`null` included: no refresh token stored), the function writes only when the
 * stored refresh token is that one (compare-and-set); `undefined` sends no `expected_refresh_token` key.
 */
export function updateTokensArgs(
  id: number,
  tokens: TokenUpdate,
  now: Date,
  expectedRefreshToken?: string | null,
): UpdateTokensArgs {
  const args: UpdateTokensArgs = {
    id,
    now: now.toISOString(),
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_expires_at: iso(tokens.tokenExpiresAt),
    refresh_token_expires_at: iso(tokens.refreshTokenExpiresAt),
  };
  if (expectedRefreshToken !== undefined) args.expected_refresh_token = expectedRefreshToken;
  return args;
}

export function oauthStateArgs(record: OAuthStateRecord): SaveOAuthStateArgs {
  return {
    state: record.state,
    provider: record.provider,
    user_id: record.userId,
    redirect_uri: record.redirectUri,
    code_verifier: record.codeVerifier,
    scopes: record.scopes,
    return_to: record.returnTo,
    created_at: record.createdAt.toISOString(),
    expires_at: record.expiresAt.toISOString(),
  };
}

export function activityArgs(activity: NormalizedActivity): PageActivityArgs {
  return {
    provider_activity_id: activity.providerActivityId,
    name: activity.name,
    sport_type: activity.sportType,
    provider_sport_type: activity.providerSportType,
    start_date: activity.startDate.toISOString(),
    start_date_local: activity.startDateLocal,
    utc_offset_s: activity.utcOffsetS,
    elapsed_time_s: activity.elapsedTimeS,
    moving_time_s: activity.movingTimeS,
    distance_m: activity.distanceM,
    total_elevation_gain_m: activity.totalElevationGainM,
    average_heartrate: activity.averageHeartrate,
    max_heartrate: activity.maxHeartrate,
    calories: activity.calories,
    average_speed_mps: activity.averageSpeedMps,
    max_speed_mps: activity.maxSpeedMps,
    is_manual: activity.isManual,
    device_name: activity.deviceName,
    raw: activity.raw,
    detail: activity.detail ?? 'detail',
  };
}
