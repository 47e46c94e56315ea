import {
  AppSuspendedError,
  ConnectionInactiveError,
  NotFoundError,
  RateLimitError,
  ReauthorizationRequiredError,
  SyncInProgressError,
} from '../errors/errors';
import { needsReauthorization } from '../errors/needs-reauthorization';
import { TrainlyticsError } from '../errors/trainlytics-error';
import type { JsonValue } from '../model/json';
import type { Provider } from '../provider/v1/provider-v1';
import { type HeldLease, withLease } from '../registry/lease';
import type { RequestCounter } from '../registry/provider-http';
import type { AppCondition, Runtime } from '../registry/runtime';
import type { SyncOptions, SyncProgress, SyncResult } from '../registry/types';
import type { ConnectionRecord, PageCommit, PageCommitResult, SyncRecord, SyncType } from '../store/store';
import { createConnectionSession } from '../tokens/connection-session';
import { describeFailure } from './error-message';
import { rejectionToJson } from './rejection-json';
import { screenActivities } from './screen-activities';

export const INTERRUPTED_MESSAGE =
  'interrupted: the process running this sync stopped before it finished (its lease expired); resuming from the last committed page';

/** The lease key that serializes every write of a connection's activities (syncs and webhooks). */
export const syncLeaseKey = (connectionId: number) => `sync:${connectionId}`;

interface Totals {
  pages: number;
  created: number;
  updated: number;
  deleted: number;
  rejected: number;
}

function result(
  sync: SyncRecord,
  totals: Totals,
  requests: number,
  cursor: JsonValue | null,
  status: SyncResult['status'],
  failure?: { name: string; message: string },
  retryAt: Date | null = null,
): SyncResult {
  return {
    syncId: sync.id,
    connectionId: sync.connectionId,
    status,
    activitiesCreated: totals.created,
    activitiesUpdated: totals.updated,
    activitiesDeleted: totals.deleted,
    activitiesRejected: totals.rejected,
    requests,
    errorName: failure?.name ?? null,
    errorMessage: failure?.message ?? null,
    cursor,
    retryAt,
  };
}

/**
 * Syncs one connection: takes the connection's lease, closes rows of a crashed run, records a
 * `sync_history` row, then stores the plugin's pages one by one (each page and its cursor in one
 * transaction), so a failure keeps every committed page and the next run resumes after the last one.
 * A page without a `commit` hook is committed as `refetchable` (the database may acknowledge it before
 * flushing it; a database crash loses whole pages, fetched again next time), a page with one durably
 * before its hook runs; the run's end (`finishSync`) is durable, and flushes every page before it (ADR 0023).
 * Provider failures never throw: they end the run as `failed` with a message a person can act on. A
 * rate limit that would make the run wait longer than `maxRateLimitWaitMs` ends it `deferred` with the
 * time the provider accepts requests again (`retryAt`): its committed pages stay, and the next run resumes
 * after them.
 */
export async function runSync(
  rt: Runtime,
  connectionId: number,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const initial = await rt.store.getConnection(connectionId);
  if (!initial) throw new NotFoundError(`Connection ${connectionId} does not exist`);
  const provider = rt.getProvider(initial.provider);
  const syncType: SyncType = options.syncType ?? (options.full ? 'full' : 'incremental');

  return withLease(
    rt,
    syncLeaseKey(connectionId),
    {
      ifLocked: options.ifLocked ?? 'wait',
      signal: options.signal,
      onBusy: (waited) =>
        new SyncInProgressError(
          waited > 0
            ? `Connection ${connectionId} is still being synced after waiting ${Math.round(waited / 1000)} s`
            : `Connection ${connectionId} is already being synced`,
          { provider: provider.id, hint: 'the running sync stores everything; try again when it is done' },
        ),
      onWait: options.onWaiting
        ? (held) =>
            options.onWaiting?.({
              connectionId,
              holder: held.holder,
              expiresAt: held.expiresAt,
              expiresInMs: held.expiresInMs,
            })
        : undefined,
    },
    async (lease) => {
      const connection = (await rt.store.getConnection(connectionId)) ?? initial;
      const interrupted = await rt.store.failRunningSyncs(connectionId, INTERRUPTED_MESSAGE, rt.clock.now());
      if (interrupted > 0) {
        rt.logger.warn('closed sync runs left behind by a crashed process', { connectionId, interrupted });
      }
      const sync = await rt.store.startSync({
        connectionId,
        syncType,
        cursorBefore: connection.syncCursor,
        now: rt.clock.now(),
      });
      const totals: Totals = { pages: 0, created: 0, updated: 0, deleted: 0, rejected: 0 };

      const unusable = unusableReason(provider, connection);
      if (unusable) {
        const failure = { name: unusable.name, message: unusable.userMessage };
        await rt.store.finishSync(sync.id, {
          status: 'failed',
          completedAt: rt.clock.now(),
          errorName: failure.name,
          errorMessage: failure.message,
        });
        return result(sync, totals, 0, connection.syncCursor, 'failed', failure);
      }

      const condition = rt.appConditions.get(provider.id);
      if (condition && condition.retryAt > rt.clock.now()) {
        // the app is suspended at the provider: no request until `retryAt` (no retry storm)
        return deferred(rt, provider, sync, totals, 0, 0, connection.syncCursor, condition);
      }

      const counter: RequestCounter = { count: 0 };
      let reported = 0;
      let cursor = connection.syncCursor;
      const session = createConnectionSession(rt, provider, connection, {
        signal: options.signal,
        counter,
        maxRateLimitWaitMs: options.maxRateLimitWaitMs,
      });
      try {
        const ctx = session.context();
        for await (const rawPage of provider.listActivities(ctx, {
          cursor: connection.syncCursor,
          full: !!options.full,
        })) {
          options.signal?.throwIfAborted();
          const page = screenActivities(provider.id, rawPage);
          const requests = counter.count - reported;
          // the store renews the lease in the page's own transaction, or core renews it right before
          const renewal = rt.store.commitPageRenewsLease ? leaseRenewal(rt, lease) : null;
          if (!renewal) await assertHeld(lease, connectionId, provider.id);
          const committed = await commitHeld(rt, connectionId, provider.id, {
            connectionId,
            syncId: sync.id,
            activities: page.activities,
            deletedIds: page.deletedIds ?? [],
            rejected: page.rejected.map(rejectionToJson),
            cursor: page.cursor,
            requestsMade: requests,
            now: rt.clock.now(),
            // a page the provider serves again need not wait for the disk; one with a commit hook must
            refetchable: !rawPage.commit,
            ...(renewal ? { lease: renewal } : {}),
          });
          reported += requests;
          cursor = page.cursor;
          totals.pages++;
          totals.created += committed.created;
          totals.updated += committed.updated;
          totals.deleted += committed.deleted;
          totals.rejected += page.rejected.length;
          await page.commit?.();
          options.onProgress?.(progress(sync.id, totals, counter.count));
        }
        await assertHeld(lease, connectionId, provider.id);
        const completedAt = rt.clock.now();
        await rt.store.finishSync(sync.id, {
          status: 'success',
          completedAt,
          requestsMade: counter.count - reported,
        });
        await rt.store.updateConnection(
          connectionId,
          { lastSyncAt: completedAt, lastError: null },
          completedAt,
        );
        if (rt.appConditions.delete(provider.id)) {
          rt.logger.info('the provider accepts calls again: its syncs resume', { provider: provider.id });
        }
        rt.logger.info('sync finished', { provider: provider.id, connectionId, syncId: sync.id, ...totals });
        return result(sync, totals, counter.count, cursor, 'success');
      } catch (error) {
        if (AppSuspendedError.isInstance(error) && !options.signal?.aborted) {
          const suspended = appCondition(provider, error);
          rt.appConditions.set(provider.id, suspended);
          rt.logger.warn('the provider refuses every call of this app: its syncs are paused', {
            provider: provider.id,
            reason: error.reason,
            retryAt: error.retryAt.toISOString(),
          });
          return deferred(
            rt,
            provider,
            sync,
            totals,
            counter.count - reported,
            counter.count,
            cursor,
            suspended,
          );
        }
        if (RateLimitError.isInstance(error) && !options.signal?.aborted) {
          const reason = {
            errorName: error.name,
            message: `deferred by the ${provider.name} rate limit: resumes after the last committed page at ${error.retryAt.toISOString()}`,
            retryAt: error.retryAt,
          };
          return deferred(
            rt,
            provider,
            sync,
            totals,
            counter.count - reported,
            counter.count,
            cursor,
            reason,
          );
        }
        const aborted = options.signal?.aborted === true && !TrainlyticsError.isInstance(error);
        const failure = aborted
          ? {
              name: 'AbortError',
              message: 'cancelled: the sync was aborted; the next run resumes after the last committed page',
            }
          : describeFailure(error);
        if (error instanceof LeaseLostError) {
          // another process holds the connection now (and closed this run's row): write nothing more
          rt.logger.warn('sync stopped: lost its lease', {
            provider: provider.id,
            connectionId,
            syncId: sync.id,
          });
          return result(sync, totals, counter.count, cursor, 'failed', failure);
        }
        const now = rt.clock.now();
        await rt.store.finishSync(sync.id, {
          status: aborted ? 'cancelled' : 'failed',
          completedAt: now,
          errorName: failure.name,
          errorMessage: failure.message,
          requestsMade: counter.count - reported,
        });
        if (!aborted) {
          const reauth = needsReauthorization(error);
          await rt.store.updateConnection(
            connectionId,
            { lastError: failure.message, ...(reauth ? { reauthRequired: true } : {}) },
            now,
          );
        }
        rt.logger.warn('sync failed', {
          provider: provider.id,
          connectionId,
          syncId: sync.id,
          error: failure.name,
          message: failure.message,
        });
        return result(sync, totals, counter.count, cursor, aborted ? 'cancelled' : 'failed', failure);
      }
    },
  );
}

/** The lease was taken by another process (this one stopped renewing it in time): stop writing. */
class LeaseLostError extends SyncInProgressError {}

/** Renews the connection's lease right before a write; throws when it was lost. */
async function assertHeld(lease: HeldLease, connectionId: number, providerId: string): Promise<void> {
  if (await lease.renew()) return;
  throw leaseLost(connectionId, providerId);
}

function leaseLost(connectionId: number, providerId: string): LeaseLostError {
  return new LeaseLostError(
    `The sync of connection ${connectionId} lost its lease to another process (it could not renew it in time); it stopped without writing more`,
    { provider: providerId, hint: 'the other process carries on from the last committed page' },
  );
}

/** The renewal a store that renews the lease with each page (`commitPageRenewsLease`) makes. */
function leaseRenewal(rt: Runtime, lease: HeldLease): NonNullable<PageCommit['lease']> {
  return {
    key: lease.key,
    owner: lease.owner,
    expiresAt: new Date(rt.clock.now().getTime() + rt.leaseTtlMs),
  };
}

/** Commits a page; a page refused because another process holds the lease stops the run (`LeaseLostError`). */
async function commitHeld(
  rt: Runtime,
  connectionId: number,
  providerId: string,
  page: PageCommit,
): Promise<PageCommitResult> {
  try {
    return await rt.store.commitPage(page);
  } catch (error) {
    if (page.lease && SyncInProgressError.isInstance(error)) throw leaseLost(connectionId, providerId);
    throw error;
  }
}

/**
 * Closes a run stopped by the provider's rate limit, or by an app-wide condition (`AppSuspendedError`), as
 * `deferred`: not a failure of the connection (its `last_error` is left alone, nobody must reconnect), the
 * committed pages and cursor stay, and `retryAt` says when to resume.
 */
async function deferred(
  rt: Runtime,
  provider: Provider,
  sync: SyncRecord,
  totals: Totals,
  unreported: number,
  requests: number,
  cursor: JsonValue | null,
  reason: { errorName: string; message: string; retryAt: Date },
): Promise<SyncResult> {
  const failure = { name: reason.errorName, message: reason.message };
  await rt.store.finishSync(sync.id, {
    status: 'deferred',
    completedAt: rt.clock.now(),
    errorName: failure.name,
    errorMessage: failure.message,
    requestsMade: unreported,
  });
  rt.logger.info('sync deferred', {
    provider: provider.id,
    connectionId: sync.connectionId,
    syncId: sync.id,
    reason: reason.errorName,
    retryAt: reason.retryAt.toISOString(),
    ...totals,
  });
  return result(sync, totals, requests, cursor, 'deferred', failure, reason.retryAt);
}

/** The app-wide condition an `AppSuspendedError` reveals, with the fix in words for `sync_history`. */
export function appCondition(provider: Provider, error: AppSuspendedError): AppCondition {
  return {
    errorName: error.name,
    reason: error.reason,
    retryAt: error.retryAt,
    message: `deferred: ${error.userMessage}; every ${provider.name} sync is paused and resumes by itself once ${provider.name} accepts calls again (next try at ${error.retryAt.toISOString()})`,
  };
}

function unusableReason(provider: Provider, connection: ConnectionRecord): TrainlyticsError | null {
  if (!connection.isActive) {
    return new ConnectionInactiveError(
      `${provider.name} connection ${connection.id} is disconnected: nothing was synced`,
      { provider: provider.id, connectionId: connection.id },
    );
  }
  if (connection.reauthRequired) {
    return new ReauthorizationRequiredError(
      `${provider.name} connection ${connection.id} needs the user to reconnect${connection.lastError ? `: ${connection.lastError}` : ''}`,
      { provider: provider.id, connectionId: connection.id },
    );
  }
  return null;
}

function progress(syncId: number, totals: Totals, requests: number): SyncProgress {
  return {
    syncId,
    pages: totals.pages,
    activitiesCreated: totals.created,
    activitiesUpdated: totals.updated,
    activitiesDeleted: totals.deleted,
    activitiesRejected: totals.rejected,
    requests,
  };
}
