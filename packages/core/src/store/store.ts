import type { NormalizedActivity } from '../model/activity';
import type { ActivityStreams } from '../model/activity-streams';
import type { JsonObject, JsonValue } from '../model/json';
import type { SportType } from '../model/sport-type';

/**
 * A row of `provider_connections` as the store reads it. `accessToken`/`refreshToken` are the stored
 * strings: ciphertext when an encryption key is set (core decrypts), plaintext for legacy rows.
 * Never returned to a host app: see `Connection` for the public shape.
 */
export interface ConnectionRecord {
  id: number;
  userId: number;
  provider: string;
  providerUserId: string;
  accessToken: string;
  refreshToken: string | null;
  tokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  scopes: string[];
  providerProfile: JsonObject;
  isActive: boolean;
  reauthRequired: boolean;
  lastError: string | null;
  lastSyncAt: Date | null;
  syncCursor: JsonValue | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConnectionUpsert {
  userId: number;
  provider: string;
  providerUserId: string;
  accessToken: string;
  refreshToken: string | null;
  tokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  scopes: string[];
  providerProfile: JsonObject;
}

/** Stored tokens by form: see `Store.countTokens`. */
export interface TokenCounts {
  encrypted: number;
  plaintext: number;
}

/** Token columns written after a refresh. */
export interface TokenUpdate {
  accessToken: string;
  refreshToken: string | null;
  tokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
}

export interface ConnectionPatch {
  isActive?: boolean;
  reauthRequired?: boolean;
  lastError?: string | null;
  scopes?: string[];
  providerProfile?: JsonObject;
  syncCursor?: JsonValue | null;
  lastSyncAt?: Date | null;
}

/** A pending authorization: single-use, expiring, bound to a user and a provider. */
export interface OAuthStateRecord {
  state: string;
  provider: string;
  userId: number;
  redirectUri: string;
  /** The PKCE verifier (stored encrypted when a key is set). */
  codeVerifier: string | null;
  scopes: string[];
  /** Where the host app sends the user afterwards (validated by the host). */
  returnTo: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export type SyncType = 'incremental' | 'full' | 'webhook';
/** A row of `trainlytics_leases`: who holds `key` and until when (unless renewed). */
export interface LeaseRecord {
  key: string;
  /** The holder's owner string (its name, then ` #` and a token unique to the holding). */
  owner: string;
  expiresAt: Date;
}

/** `deferred`: stopped by the provider's rate limit, to be resumed after it resets (migration 009). */
export type SyncStatus = 'running' | 'success' | 'failed' | 'cancelled' | 'deferred';

/** A row of `sync_history`. */
export interface SyncRecord {
  id: number;
  connectionId: number;
  syncType: SyncType;
  status: SyncStatus;
  startedAt: Date;
  completedAt: Date | null;
  activitiesCreated: number;
  activitiesUpdated: number;
  activitiesDeleted: number;
  activitiesRejected: number;
  requestsMade: number;
  errorName: string | null;
  errorMessage: string | null;
  /** Rejected items: `{ name, message, itemId, issues }`, capped. */
  errors: JsonValue[];
  cursorBefore: JsonValue | null;
  cursorAfter: JsonValue | null;
}

export interface SyncFinish {
  status: Exclude<SyncStatus, 'running'>;
  completedAt: Date;
  errorName?: string | null;
  errorMessage?: string | null;
  /** Requests made since the last progress update, added to `requests_made`. */
  requestsMade?: number;
}

/** One committed page: activities, rejections and the cursor to persist, written in one transaction. */
export interface PageCommit {
  connectionId: number;
  syncId: number | null;
  activities: NormalizedActivity[];
  deletedIds: string[];
  /** Rejections to append to `sync_history.errors` (and count). */
  rejected: JsonValue[];
  /** When set, the connection's `sync_cursor` becomes this value in the same transaction. */
  cursor?: JsonValue | null;
  requestsMade: number;
  now: Date;
  /**
   * The provider serves this page again from the previous cursor if it is lost (a sync page without a
   * `commit` hook): the store may acknowledge the commit before it is flushed to disk, as long as the page
   * and its cursor stay one transaction (a database crash then loses whole pages, which the next sync
   * fetches again; ADR 0023). Absent or false: the commit is durable when this resolves.
   */
  refetchable?: boolean;
  /**
   * The sync's lease, for a store that renews it in the page's transaction (`commitPageRenewsLease`):
   * written only while `owner` holds `key` (or it expired), which then lasts until `expiresAt`; otherwise
   * nothing is written and `commitPage` rejects with `SyncInProgressError`.
   */
  lease?: { key: string; owner: string; expiresAt: Date };
}

export interface PageCommitResult {
  created: number;
  updated: number;
  deleted: number;
}

export interface ActivityRow extends NormalizedActivity {
  id: number;
  userId: number;
  connectionId: number | null;
  provider: string | null;
  updatedAt: Date;
}

export interface ActivityQuery {
  userId?: number;
  connectionId?: number;
  provider?: string;
  limit?: number;
  /** Only activities starting before this instant (keyset paging, newest first). */
  before?: Date;
}

/** An activity's streams as stored (migration 016): `streams` null when the provider has none for it. */
export interface StoredActivityStreams {
  activityId: number;
  userId: number;
  streams: ActivityStreams | null;
  /** How many samples `streams.time` holds (0 when the provider has none). */
  sampleCount: number;
  /** The encoded samples' size in bytes (what the row costs, before PostgreSQL's own compression). */
  encodedBytes: number;
  fetchedAt: Date;
}

/** The activities of a connection whose streams are not stored yet (the streams backlog), newest first. */
export interface StreamsBacklogQuery {
  connectionId: number;
  /** Only activities that started at or after this instant. */
  since?: Date;
  /** Only activities of these sports. */
  sportTypes?: string[];
  limit?: number;
  /** Paging: only activities with an id below this one (ids of the previous page's last item). */
  beforeId?: number;
}

export interface StreamsBacklogItem {
  id: number;
  providerActivityId: string;
  sportType: string;
  startDate: Date;
  raw: JsonValue;
}

/**
 * One real workout: the activities that several providers stored for it, merged (migration 014,
 * docs/decisions/0024-cross-provider-dedupe.md). `id`, the owner, provider and provider id are the canonical
 * copy's (the recording platform over an aggregator, by `trainlytics_dedupe_policy`); every other field is the
 * first non-null value in member order, so no copy's richer value is lost. An activity matched with no other
 * is a workout of its own (`providers` has one entry).
 */
export interface CanonicalActivityRow {
  id: number;
  userId: number;
  connectionId: number | null;
  provider: string | null;
  providerActivityId: string;
  name: string | null;
  sportType: SportType;
  startDate: Date;
  /** The wall-clock start where the workout took place (no zone), as in `ActivityRow`. */
  startDateLocal: string | null;
  utcOffsetS: number | null;
  elapsedTimeS: number | null;
  movingTimeS: number | null;
  distanceM: number | null;
  totalElevationGainM: number | null;
  averageHeartrate: number | null;
  maxHeartrate: number | null;
  calories: number | null;
  deviceName: string | null;
  /** The providers of the copies, canonical first. */
  providers: string[];
  /** The stored activities' ids, canonical first. */
  activityIds: number[];
}

/** Which stored copies are one workout after a decision (`groupId` null: the activity stands alone). */
export interface ActivityGroup {
  groupId: number | null;
  activityIds: number[];
}

/** What one batch of {@link Store.dedupe} did. */
export interface DedupeBatchResult {
  /** Users matched in this batch (0: none left after `afterUserId`). */
  users: number;
  /** The last user id of the batch: pass it as `afterUserId` for the next one. */
  lastUserId: number | null;
  /** Activities re-matched. */
  activities: number;
  /** Groups of two or more copies, and the activities in them. */
  groups: number;
  grouped: number;
  /** Matched pairs written (with their evidence). */
  matches: number;
}

/**
 * Persistence behind Trainlytics. Every implementation passes `runStoreConformanceSuite` from
 * `@trainlytics/core/testing`. Implementations store what they are given: encryption happens in core.
 */
export interface Store {
  /** `postgres`, `pglite`, `supabase`, … */
  readonly kind: string;
  /**
   * `commitPage` renews `PageCommit.lease` in the page's own transaction (ADR 0023): core then makes no
   * separate lease renewal before each page. Absent: core renews it with `acquireLease` first.
   */
  readonly commitPageRenewsLease?: boolean;

  // connections
  getConnection(id: number): Promise<ConnectionRecord | null>;
  findConnectionByProviderUser(provider: string, providerUserId: string): Promise<ConnectionRecord | null>;
  findConnectionByUser(userId: number, provider: string): Promise<ConnectionRecord | null>;
  listConnections(filter?: {
    userId?: number;
    provider?: string;
    active?: boolean;
  }): Promise<ConnectionRecord[]>;
  /**
   * Inserts, or updates the user's existing connection to this provider (a reconnect: tokens, scopes,
   * profile replaced; `is_active` true, `reauth_required` false). Throws `ConflictError` (reason
   * `account-linked`) when the provider account is linked to another user.
   */
  upsertConnection(input: ConnectionUpsert, now: Date): Promise<ConnectionRecord>;
  updateConnection(id: number, patch: ConnectionPatch, now: Date): Promise<ConnectionRecord>;
  /**
   * Writes refreshed tokens atomically. With `expectedRefreshToken`, only when the stored refresh token
   * still equals it (compare-and-set; returns false when another process rotated it first).
   */
  updateTokens(
    id: number,
    tokens: TokenUpdate,
    now: Date,
    expectedRefreshToken?: string | null,
  ): Promise<boolean>;

  // OAuth state
  saveOAuthState(record: OAuthStateRecord): Promise<void>;
  /** Deletes and returns the state atomically: a second call with the same state returns null. */
  consumeOAuthState(state: string): Promise<OAuthStateRecord | null>;
  deleteExpiredOAuthStates(now: Date): Promise<number>;

  // sync history
  startSync(input: {
    connectionId: number;
    syncType: SyncType;
    cursorBefore: JsonValue | null;
    now: Date;
  }): Promise<SyncRecord>;
  /**
   * Stores one page (upsert on `(provider, provider_activity_id)`, exact created/updated counts), its deletions,
   * rejections, cursor and counters, in one transaction. Each activity is merged with the stored row by its
   * `detail` (a summary never clears what a detail gave, docs/decisions/0015); a row counts as updated only
   * when a stored value changes.
   */
  commitPage(page: PageCommit): Promise<PageCommitResult>;
  finishSync(id: number, finish: SyncFinish): Promise<SyncRecord>;
  /** Closes every 'running' row of the connection as failed with `message` (a crashed sync). Returns how many. */
  failRunningSyncs(connectionId: number, message: string, now: Date): Promise<number>;
  getSync(id: number): Promise<SyncRecord | null>;
  listSyncHistory(filter: { connectionId?: number; userId?: number; limit?: number }): Promise<SyncRecord[]>;

  // activities
  listActivities(query: ActivityQuery): Promise<ActivityRow[]>;
  countActivities(filter: { connectionId?: number; userId?: number; provider?: string }): Promise<number>;

  // activity streams (migration 016; optional for stores written before it)
  /** One activity by its id in `activities`, or null. */
  getActivity?(id: number): Promise<ActivityRow | null>;
  /**
   * Replaces the activity's stored streams; `null` records that the provider has none (so it is not asked
   * again). Throws `NotFoundError` when the activity does not exist.
   */
  saveActivityStreams?(activityId: number, streams: ActivityStreams | null, now: Date): Promise<void>;
  getActivityStreams?(activityId: number): Promise<StoredActivityStreams | null>;
  listStreamsBacklog?(query: StreamsBacklogQuery): Promise<StreamsBacklogItem[]>;
  countStreamsBacklog?(query: Omit<StreamsBacklogQuery, 'limit' | 'beforeId'>): Promise<number>;

  // one timeline (migration 014; optional for stores written before it)
  /** One row per workout, newest first (same filters and paging as `listActivities`, without `provider`). */
  listCanonicalActivities?(query: Omit<ActivityQuery, 'provider'>): Promise<CanonicalActivityRow[]>;
  /**
   * Re-matches stored activities with the current policy: one user (`userId`), or the next `limit` users
   * (default 500) after `afterUserId`; call again with `lastUserId` until `users` is 0. People's decisions
   * are kept. Page writes match incrementally; this is for existing data and after a policy change.
   */
  dedupe?(options?: { userId?: number; afterUserId?: number; limit?: number }): Promise<DedupeBatchResult>;
  /**
   * A person's decision that two stored activities are (`link`) or are not (`unlink`) one workout. Applied at
   * once and never undone by the matcher. Throws `ConflictError` (reason `match-refused`) for a link of one
   * connection's, two users' or the same activity, `NotFoundError` for an unknown id.
   */
  decideMatch?(
    activityId: number,
    otherActivityId: number,
    decision: 'link' | 'unlink',
  ): Promise<ActivityGroup>;

  // tokens
  /**
   * How many stored access and refresh tokens are in the encrypted form (`tl1:…`) and how many in clear
   * (never the tokens themselves). Core refuses to write plaintext tokens beside encrypted ones.
   */
  countTokens(): Promise<TokenCounts>;

  // leases: cross-process mutual exclusion (sync of a connection, token refresh)
  /** Takes `key` for `owner` until `expiresAt` when free or expired; true when taken. Re-taking one's own lease extends it. */
  acquireLease(key: string, owner: string, expiresAt: Date, now: Date): Promise<boolean>;
  releaseLease(key: string, owner: string): Promise<void>;
  /**
   * The lease's current record (expired or not), or null when nobody holds it: lets a waiting caller say
   * who it waits for. Optional for stores written before it (migration 008 adds the SQL function).
   */
  describeLease?(key: string): Promise<LeaseRecord | null>;

  // webhooks
  /** Records a delivery's key; false when it was seen before (a redelivery). */
  recordWebhookEvent(provider: string, eventKey: string, now: Date): Promise<boolean>;
  /** Forgets a delivery's key (its processing failed), so that a redelivery is processed. */
  forgetWebhookEvent(provider: string, eventKey: string): Promise<void>;

  /** Closes what the store opened itself (not a pool or client the host passed in). */
  close(): Promise<void>;
}
