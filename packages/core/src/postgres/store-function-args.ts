import type { StoreFunction } from './store-functions';

/**
 * The `args jsonb` of each store function, as its SQL reads it (docs/decisions/0038-repeatable-sql-definitions.md).
 *
 * Every `trainlytics_*` function takes one JSON object: snake_case keys, instants as ISO strings, ids as numbers.
 * The body in force lives in `@trainlytics/migrations`' `sql/definitions/NN_concern.sql` (named on each type);
 * `test/unit/store-function-args.test.ts` finds it there (`create or replace function <name>(`, exactly once),
 * reads the keys it reads from `args` and compares them with {@link STORE_FUNCTION_ARG_KEYS}, so a key renamed on
 * one side only fails it. An absent or `null` key means "not given" unless its comment says otherwise.
 *
 * To change a function: edit its definition file, this type and its caller in `function-store.ts` (or the builder it
 * calls, in `map-rows.ts` or `streams-rows.ts`) together. Builders return these types, no cast: a key misspelled or
 * missing there does not compile.
 */

type Iso = string;

/** `02_connections.sql`: filters, all optional; the rows by id. */
export type ListConnectionsArgs = {
  id?: number;
  user_id?: number;
  provider?: string;
  provider_user_id?: string;
  active?: boolean;
};

/** `02_connections.sql`: inserts, or reconnects the user's connection to the provider. */
export type UpsertConnectionArgs = {
  user_id: number;
  provider: string;
  provider_user_id: string;
  access_token: string;
  refresh_token: string | null;
  token_expires_at: Iso | null;
  refresh_token_expires_at: Iso | null;
  scopes: readonly string[];
  provider_profile: unknown;
  now: Iso;
};

/** `02_connections.sql`: `patch` holds only the columns to write (snake_case), see `connectionPatchArgs`. */
export type UpdateConnectionArgs = {
  id: number;
  now: Iso;
  patch: ConnectionPatchArgs;
};

/** `02_connections.sql`: the columns `trainlytics_update_connection` may write; a key present is written (null too). */
export type ConnectionPatchArgs = {
  is_active?: boolean;
  reauth_required?: boolean;
  last_error?: string | null;
  scopes?: readonly string[];
  provider_profile?: unknown;
  sync_cursor?: unknown;
  last_sync_at?: Iso | null;
};

/**
 * `02_connections.sql`: writes the tokens; with `expected_refresh_token` present (null included), only when the
 * stored refresh token is that one (compare-and-set).
 */
export type UpdateTokensArgs = {
  id: number;
  now: Iso;
  access_token: string;
  refresh_token: string | null;
  token_expires_at: Iso | null;
  refresh_token_expires_at: Iso | null;
  expected_refresh_token?: string | null;
};

/** `02_connections.sql`: no argument; counts of encrypted and plaintext tokens. */
export type TokenFormsArgs = Record<never, never>;

/** `03_oauth_states.sql` */
export type SaveOAuthStateArgs = {
  state: string;
  provider: string;
  user_id: number | string;
  redirect_uri: string;
  code_verifier: string | null;
  scopes: readonly string[] | null;
  return_to: string | null;
  created_at: Iso;
  expires_at: Iso;
};

/** `03_oauth_states.sql` */
export type ConsumeOAuthStateArgs = { state: string };

/** `03_oauth_states.sql` */
export type DeleteExpiredOAuthStatesArgs = { now: Iso };

/** `04_sync_history.sql` */
export type StartSyncArgs = {
  connection_id: number;
  sync_type: string;
  cursor_before: unknown;
  now: Iso;
};

/** `05_commit_page.sql`: one page of a sync, with its cursor, in one transaction. */
export type CommitPageArgs = {
  connection_id: number;
  /** The sync the page belongs to (null: a page written outside a sync). */
  sync_id: number | null;
  /** The page's activities, each the columns `jsonb_to_recordset` reads (see `activityArgs`). */
  activities: readonly PageActivityArgs[];
  deleted_ids: readonly string[];
  /** Items the plugin could not map, kept on the sync's row. */
  rejected: readonly unknown[];
  requests_made: number;
  now: Iso;
  /** Present: write it as the connection's cursor (null clears it). Absent: keep the stored one. */
  cursor?: unknown;
  /** The provider serves this page again: commit without waiting for the flush (013 on). */
  refetchable?: true;
  /** Renew this lease in the same transaction, or raise TL409 when another owner holds it (013 on). */
  lease?: { key: string; owner: string; expires_at: Iso };
};

/** `05_commit_page.sql`: one activity of a page, as `jsonb_to_recordset(args -> 'activities')` reads it. */
export type PageActivityArgs = {
  provider_activity_id: string;
  name: string | null;
  sport_type: string;
  provider_sport_type: string | null;
  start_date: Iso;
  /** `YYYY-MM-DDTHH:mm:ss`, no offset. */
  start_date_local: string | null;
  utc_offset_s: number | null;
  elapsed_time_s: number | null;
  moving_time_s: number | null;
  distance_m: number | null;
  total_elevation_gain_m: number | null;
  average_heartrate: number | null;
  max_heartrate: number | null;
  calories: number | null;
  average_speed_mps: number | null;
  max_speed_mps: number | null;
  is_manual: boolean;
  device_name: string | null;
  raw: unknown;
  detail: 'summary' | 'detail';
};

/** `04_sync_history.sql` */
export type FinishSyncArgs = {
  id: number;
  status: string;
  completed_at: Iso;
  error_name: string | null;
  error_message: string | null;
  requests_made: number;
};

/** `04_sync_history.sql` */
export type FailRunningSyncsArgs = { connection_id: number; message: string; now: Iso };

/** `04_sync_history.sql`: filters, all optional; newest first. */
export type ListSyncsArgs = { id?: number; connection_id?: number; user_id?: number; limit?: number };

/** `06_activities.sql`: newest first, `before` an instant (exclusive). */
export type ListActivitiesArgs = {
  user_id?: number;
  connection_id?: number;
  provider?: string;
  before?: Iso;
  limit?: number;
};

/** `06_activities.sql` */
export type CountActivitiesArgs = { user_id?: number; connection_id?: number; provider?: string };

/** `06_activities.sql` */
export type GetActivityArgs = { id: number };

/** `11_activity_streams.sql`: see `saveStreamsArgs` (samples base64, the rest JSON); `none` stores no samples. */
export type SaveActivityStreamsArgs = {
  activity_id: number;
  status: 'stored' | 'none';
  sample_count: number;
  channels?: readonly string[];
  samples?: string;
  codec_version?: number;
  laps?: unknown;
  route?: unknown;
  raw?: unknown;
  now: Iso;
};

/** `11_activity_streams.sql` */
export type GetActivityStreamsArgs = { activity_id: number };

/** `11_activity_streams.sql`: a connection's activities without streams, by id descending. */
export type StreamsBacklogArgs = {
  connection_id: number;
  since?: Iso;
  sport_types?: readonly string[];
  limit?: number;
  before_id?: number;
};

/** `11_activity_streams.sql`: the filters of {@link StreamsBacklogArgs} (the caller's `limit` and `before_id` are not read). */
export type CountStreamsBacklogArgs = { connection_id: number; since?: Iso; sport_types?: readonly string[] };

/** `12_views.sql` */
export type ListCanonicalActivitiesArgs = {
  user_id?: number;
  connection_id?: number;
  before?: Iso;
  limit?: number;
};

/** `10_dedupe_matcher.sql`: one batch of users, after `after_user_id`. */
export type DedupeArgs = { user_id?: number; after_user_id?: number; limit?: number };

/** `10_dedupe_matcher.sql` */
export type DecideMatchArgs = { activity_id: number; other_activity_id: number; decision: 'link' | 'unlink' };

/** `07_leases.sql` */
export type AcquireLeaseArgs = { key: string; owner: string; expires_at: Iso; now: Iso };

/** `07_leases.sql` */
export type ReleaseLeaseArgs = { key: string; owner: string };

/** `07_leases.sql` */
export type DescribeLeaseArgs = { key: string };

/** `08_webhook_events.sql` */
export type RecordWebhookEventArgs = { provider: string; event_key: string; now: Iso };

/** `08_webhook_events.sql` */
export type ForgetWebhookEventArgs = { provider: string; event_key: string };

/** The argument type of each store function. */
export interface StoreFunctionArgsOf {
  trainlytics_list_connections: ListConnectionsArgs;
  trainlytics_upsert_connection: UpsertConnectionArgs;
  trainlytics_update_connection: UpdateConnectionArgs;
  trainlytics_update_tokens: UpdateTokensArgs;
  trainlytics_save_oauth_state: SaveOAuthStateArgs;
  trainlytics_consume_oauth_state: ConsumeOAuthStateArgs;
  trainlytics_delete_expired_oauth_states: DeleteExpiredOAuthStatesArgs;
  trainlytics_start_sync: StartSyncArgs;
  trainlytics_commit_page: CommitPageArgs;
  trainlytics_finish_sync: FinishSyncArgs;
  trainlytics_fail_running_syncs: FailRunningSyncsArgs;
  trainlytics_list_syncs: ListSyncsArgs;
  trainlytics_list_activities: ListActivitiesArgs;
  trainlytics_count_activities: CountActivitiesArgs;
  trainlytics_acquire_lease: AcquireLeaseArgs;
  trainlytics_release_lease: ReleaseLeaseArgs;
  trainlytics_describe_lease: DescribeLeaseArgs;
  trainlytics_record_webhook_event: RecordWebhookEventArgs;
  trainlytics_forget_webhook_event: ForgetWebhookEventArgs;
  trainlytics_token_forms: TokenFormsArgs;
  trainlytics_save_activity_streams: SaveActivityStreamsArgs;
  trainlytics_get_activity_streams: GetActivityStreamsArgs;
  trainlytics_get_activity: GetActivityArgs;
  trainlytics_list_streams_backlog: StreamsBacklogArgs;
  trainlytics_count_streams_backlog: CountStreamsBacklogArgs;
  trainlytics_list_canonical_activities: ListCanonicalActivitiesArgs;
  trainlytics_dedupe: DedupeArgs;
  trainlytics_decide_match: DecideMatchArgs;
}

/** Every key of `T`, each once: a list missing a key of the type (or naming another) does not compile. */
type AllKeys<T, K extends readonly (keyof T)[]> = Exclude<keyof T, K[number]> extends never ? K : never;
const keys =
  <T>() =>
  <const K extends readonly (keyof T)[]>(...list: K & AllKeys<T, K>): readonly string[] =>
    list as readonly string[];

/** The keys of `ConnectionPatchArgs` at run time: the test compares them with the `p ? '…'` keys the body reads. */
export const CONNECTION_PATCH_KEYS: readonly string[] = keys<ConnectionPatchArgs>()(
  'is_active',
  'reauth_required',
  'last_error',
  'scopes',
  'provider_profile',
  'sync_cursor',
  'last_sync_at',
);

/**
 * The keys of each function's `args`, at run time (the types above are erased): the test compares them with the
 * keys the definition file reads. Adding a key to a type without listing it here does not compile.
 */
export const STORE_FUNCTION_ARG_KEYS: { readonly [F in StoreFunction]: readonly string[] } = {
  trainlytics_list_connections: keys<ListConnectionsArgs>()(
    'id',
    'user_id',
    'provider',
    'provider_user_id',
    'active',
  ),
  trainlytics_upsert_connection: keys<UpsertConnectionArgs>()(
    'user_id',
    'provider',
    'provider_user_id',
    'access_token',
    'refresh_token',
    'token_expires_at',
    'refresh_token_expires_at',
    'scopes',
    'provider_profile',
    'now',
  ),
  trainlytics_update_connection: keys<UpdateConnectionArgs>()('id', 'now', 'patch'),
  trainlytics_update_tokens: keys<UpdateTokensArgs>()(
    'id',
    'now',
    'access_token',
    'refresh_token',
    'token_expires_at',
    'refresh_token_expires_at',
    'expected_refresh_token',
  ),
  trainlytics_save_oauth_state: keys<SaveOAuthStateArgs>()(
    'state',
    'provider',
    'user_id',
    'redirect_uri',
    'code_verifier',
    'scopes',
    'return_to',
    'created_at',
    'expires_at',
  ),
  trainlytics_consume_oauth_state: keys<ConsumeOAuthStateArgs>()('state'),
  trainlytics_delete_expired_oauth_states: keys<DeleteExpiredOAuthStatesArgs>()('now'),
  trainlytics_start_sync: keys<StartSyncArgs>()('connection_id', 'sync_type', 'cursor_before', 'now'),
  trainlytics_commit_page: keys<CommitPageArgs>()(
    'connection_id',
    'sync_id',
    'activities',
    'deleted_ids',
    'rejected',
    'requests_made',
    'now',
    'cursor',
    'refetchable',
    'lease',
  ),
  trainlytics_finish_sync: keys<FinishSyncArgs>()(
    'id',
    'status',
    'completed_at',
    'error_name',
    'error_message',
    'requests_made',
  ),
  trainlytics_fail_running_syncs: keys<FailRunningSyncsArgs>()('connection_id', 'message', 'now'),
  trainlytics_list_syncs: keys<ListSyncsArgs>()('id', 'connection_id', 'user_id', 'limit'),
  trainlytics_list_activities: keys<ListActivitiesArgs>()(
    'user_id',
    'connection_id',
    'provider',
    'before',
    'limit',
  ),
  trainlytics_count_activities: keys<CountActivitiesArgs>()('user_id', 'connection_id', 'provider'),
  trainlytics_acquire_lease: keys<AcquireLeaseArgs>()('key', 'owner', 'expires_at', 'now'),
  trainlytics_release_lease: keys<ReleaseLeaseArgs>()('key', 'owner'),
  trainlytics_describe_lease: keys<DescribeLeaseArgs>()('key'),
  trainlytics_record_webhook_event: keys<RecordWebhookEventArgs>()('provider', 'event_key', 'now'),
  trainlytics_forget_webhook_event: keys<ForgetWebhookEventArgs>()('provider', 'event_key'),
  trainlytics_token_forms: keys<TokenFormsArgs>()(),
  trainlytics_save_activity_streams: keys<SaveActivityStreamsArgs>()(
    'activity_id',
    'status',
    'sample_count',
    'channels',
    'samples',
    'codec_version',
    'laps',
    'route',
    'raw',
    'now',
  ),
  trainlytics_get_activity_streams: keys<GetActivityStreamsArgs>()('activity_id'),
  trainlytics_get_activity: keys<GetActivityArgs>()('id'),
  trainlytics_list_streams_backlog: keys<StreamsBacklogArgs>()(
    'connection_id',
    'since',
    'sport_types',
    'limit',
    'before_id',
  ),
  trainlytics_count_streams_backlog: keys<CountStreamsBacklogArgs>()('connection_id', 'since', 'sport_types'),
  trainlytics_list_canonical_activities: keys<ListCanonicalActivitiesArgs>()(
    'user_id',
    'connection_id',
    'before',
    'limit',
  ),
  trainlytics_dedupe: keys<DedupeArgs>()('user_id', 'after_user_id', 'limit'),
  trainlytics_decide_match: keys<DecideMatchArgs>()('activity_id', 'other_activity_id', 'decision'),
};

/**
 * `call`, typed: each function's name picks its argument type. The stores' `call` takes any JSON object; this
 * only narrows what `function-store.ts` may pass.
 */
export type TypedCallStoreFunction = <F extends StoreFunction>(
  fn: F,
  args: StoreFunctionArgsOf[F],
) => Promise<unknown>;
