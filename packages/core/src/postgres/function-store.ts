import { SyncInProgressError } from '../errors/errors';
import type { PageCommit, Store } from '../store/store';
import {
  activityArgs,
  connectionPatchArgs,
  connectionUpsertArgs,
  type JsonRow,
  oauthStateArgs,
  rowsOf,
  toActivityRow,
  toCanonicalActivityRow,
  toConnectionRecord,
  toDedupeBatchResult,
  toLeaseRecord,
  toOAuthStateRecord,
  toSyncRecord,
  updateTokensArgs,
} from './map-rows';
import type { CommitPageArgs, TypedCallStoreFunction } from './store-function-args';
import { type CallStoreFunction, STORE_ERROR_CODES } from './store-functions';
import { backlogArgs, saveStreamsArgs, toBacklogItem, toStoredStreams } from './streams-rows';

const LEASE_TAKEN = STORE_ERROR_CODES.leaseTaken;

function leaseTaken(key: string): SyncInProgressError {
  return new SyncInProgressError(`The lease ${key} is held by another process: the page was not written`, {
    hint: 'the other process carries on from the last committed page',
  });
}

export interface FunctionStoreOptions {
  /** `postgres`, `pglite`, `supabase`, … */
  kind: string;
  /** Calls one of the 003 SQL functions; errors are already typed (see `toStoreError`). */
  call: CallStoreFunction;
  /** Releases what the store opened itself. */
  close?: () => Promise<void>;
}

/**
 * A `Store` whose every method is one call of a `trainlytics_*` SQL function (bodies in `@trainlytics/migrations`'
 * `sql/definitions/`, argument shapes in `store-function-args.ts`). The
 * Postgres, PGlite and Supabase stores differ only in how they make that call.
 */
export function createFunctionStore({ kind, call: untypedCall, close }: FunctionStoreOptions): Store {
  // each function's arguments as its definition file reads them (store-function-args.ts, ADR 0038)
  const call: TypedCallStoreFunction = untypedCall;
  const one = (value: unknown): JsonRow | null => rowsOf(value)[0] ?? null;
  // whether the database's trainlytics_commit_page renews a page's lease itself (migration 013 on)
  let commitRenewsLease = false;
  const renewLease = async (lease: NonNullable<PageCommit['lease']>, now: Date) =>
    (await call('trainlytics_acquire_lease', {
      key: lease.key,
      owner: lease.owner,
      expires_at: lease.expiresAt.toISOString(),
      now: now.toISOString(),
    })) === true;

  return {
    kind,

    async getConnection(id) {
      const row = one(await call('trainlytics_list_connections', { id }));
      return row ? toConnectionRecord(row) : null;
    },

    async findConnectionByProviderUser(provider, providerUserId) {
      const row = one(
        await call('trainlytics_list_connections', { provider, provider_user_id: providerUserId }),
      );
      return row ? toConnectionRecord(row) : null;
    },

    async findConnectionByUser(userId, provider) {
      const row = one(await call('trainlytics_list_connections', { user_id: userId, provider }));
      return row ? toConnectionRecord(row) : null;
    },

    async listConnections(filter = {}) {
      const rows = await call('trainlytics_list_connections', {
        user_id: filter.userId,
        provider: filter.provider,
        active: filter.active,
      });
      return rowsOf(rows).map(toConnectionRecord);
    },

    async upsertConnection(input, now) {
      const row = await call('trainlytics_upsert_connection', connectionUpsertArgs(input, now));
      return toConnectionRecord(row as JsonRow);
    },

    async updateConnection(id, patch, now) {
      const row = await call('trainlytics_update_connection', {
        id,
        now: now.toISOString(),
        patch: connectionPatchArgs(patch),
      });
      return toConnectionRecord(row as JsonRow);
    },

    async updateTokens(id, tokens, now, expectedRefreshToken) {
      const args = updateTokensArgs(id, tokens, now, expectedRefreshToken);
      return (await call('trainlytics_update_tokens', args)) === true;
    },

    async saveOAuthState(record) {
      await call('trainlytics_save_oauth_state', oauthStateArgs(record));
    },

    async consumeOAuthState(state) {
      const row = await call('trainlytics_consume_oauth_state', { state });
      return row ? toOAuthStateRecord(row as JsonRow) : null;
    },

    async deleteExpiredOAuthStates(now) {
      return Number(await call('trainlytics_delete_expired_oauth_states', { now: now.toISOString() }));
    },

    async startSync(input) {
      const row = await call('trainlytics_start_sync', {
        connection_id: input.connectionId,
        sync_type: input.syncType,
        cursor_before: input.cursorBefore,
        now: input.now.toISOString(),
      });
      return toSyncRecord(row as JsonRow);
    },

    commitPageRenewsLease: true,

    async commitPage(page) {
      const args: CommitPageArgs = {
        connection_id: page.connectionId,
        sync_id: page.syncId,
        activities: page.activities.map(activityArgs),
        deleted_ids: page.deletedIds,
        rejected: page.rejected,
        requests_made: page.requestsMade,
        now: page.now.toISOString(),
      };
      // the key's presence is what tells the function to write the cursor (null clears it)
      if (page.cursor !== undefined) args.cursor = page.cursor;
      // from migration 013 on: such a commit does not wait for its flush (earlier functions ignore the key)
      if (page.refetchable) args.refetchable = true;
      if (page.lease) {
        // before 013 the function ignores `lease`: until a page says it renewed it, renew it first
        if (!commitRenewsLease && !(await renewLease(page.lease, page.now))) throw leaseTaken(page.lease.key);
        args.lease = {
          key: page.lease.key,
          owner: page.lease.owner,
          expires_at: page.lease.expiresAt.toISOString(),
        };
      }
      let result: JsonRow;
      try {
        result = (await call('trainlytics_commit_page', args)) as JsonRow;
      } catch (error) {
        if (page.lease && (error as { code?: unknown }).code === LEASE_TAKEN)
          throw leaseTaken(page.lease.key);
        throw error;
      }
      if (page.lease) commitRenewsLease = result.lease === true;
      return {
        created: Number(result.created ?? 0),
        updated: Number(result.updated ?? 0),
        deleted: Number(result.deleted ?? 0),
      };
    },

    async finishSync(id, finish) {
      const row = await call('trainlytics_finish_sync', {
        id,
        status: finish.status,
        completed_at: finish.completedAt.toISOString(),
        error_name: finish.errorName ?? null,
        error_message: finish.errorMessage ?? null,
        requests_made: finish.requestsMade ?? 0,
      });
      return toSyncRecord(row as JsonRow);
    },

    async failRunningSyncs(connectionId, message, now) {
      return Number(
        await call('trainlytics_fail_running_syncs', {
          connection_id: connectionId,
          message,
          now: now.toISOString(),
        }),
      );
    },

    async getSync(id) {
      const row = one(await call('trainlytics_list_syncs', { id }));
      return row ? toSyncRecord(row) : null;
    },

    async listSyncHistory(filter) {
      const rows = await call('trainlytics_list_syncs', {
        connection_id: filter.connectionId,
        user_id: filter.userId,
        limit: filter.limit,
      });
      return rowsOf(rows).map(toSyncRecord);
    },

    async listActivities(query) {
      const rows = await call('trainlytics_list_activities', {
        user_id: query.userId,
        connection_id: query.connectionId,
        provider: query.provider,
        before: query.before?.toISOString(),
        limit: query.limit,
      });
      return rowsOf(rows).map(toActivityRow);
    },

    async countActivities(filter) {
      return Number(
        await call('trainlytics_count_activities', {
          user_id: filter.userId,
          connection_id: filter.connectionId,
          provider: filter.provider,
        }),
      );
    },

    async getActivity(id) {
      const row = (await call('trainlytics_get_activity', { id })) as JsonRow | null;
      return row ? toActivityRow(row) : null;
    },

    async saveActivityStreams(activityId, streams, now) {
      await call('trainlytics_save_activity_streams', saveStreamsArgs(activityId, streams, now));
    },

    async getActivityStreams(activityId) {
      const row = (await call('trainlytics_get_activity_streams', {
        activity_id: activityId,
      })) as JsonRow | null;
      return row ? toStoredStreams(row) : null;
    },

    async listStreamsBacklog(query) {
      return rowsOf(await call('trainlytics_list_streams_backlog', backlogArgs(query))).map(toBacklogItem);
    },

    async countStreamsBacklog(query) {
      return Number(await call('trainlytics_count_streams_backlog', backlogArgs(query)));
    },

    async listCanonicalActivities(query) {
      const rows = await call('trainlytics_list_canonical_activities', {
        user_id: query.userId,
        connection_id: query.connectionId,
        before: query.before?.toISOString(),
        limit: query.limit,
      });
      return rowsOf(rows).map(toCanonicalActivityRow);
    },

    async dedupe(options = {}) {
      const result = (await call('trainlytics_dedupe', {
        user_id: options.userId,
        after_user_id: options.afterUserId,
        limit: options.limit,
      })) as JsonRow;
      return toDedupeBatchResult(result);
    },

    async decideMatch(activityId, otherActivityId, decision) {
      const result = (await call('trainlytics_decide_match', {
        activity_id: activityId,
        other_activity_id: otherActivityId,
        decision,
      })) as JsonRow;
      return {
        groupId: result.group_id == null ? null : Number(result.group_id),
        activityIds: rowsOf(result.activity_ids).map(Number),
      };
    },

    async countTokens() {
      const counts = (await call('trainlytics_token_forms', {})) as JsonRow | null;
      return { encrypted: Number(counts?.encrypted ?? 0), plaintext: Number(counts?.plaintext ?? 0) };
    },

    async acquireLease(key, owner, expiresAt, now) {
      const taken = await call('trainlytics_acquire_lease', {
        key,
        owner,
        expires_at: expiresAt.toISOString(),
        now: now.toISOString(),
      });
      return taken === true;
    },

    async releaseLease(key, owner) {
      await call('trainlytics_release_lease', { key, owner });
    },

    async describeLease(key) {
      const row = one(await call('trainlytics_describe_lease', { key }));
      return row ? toLeaseRecord(row) : null;
    },

    async recordWebhookEvent(provider, eventKey, now) {
      const isNew = await call('trainlytics_record_webhook_event', {
        provider,
        event_key: eventKey,
        now: now.toISOString(),
      });
      return isNew === true;
    },

    async forgetWebhookEvent(provider, eventKey) {
      await call('trainlytics_forget_webhook_event', { provider, event_key: eventKey });
    },

    async close() {
      await close?.();
    },
  };
}
