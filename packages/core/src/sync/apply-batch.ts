import { AppSuspendedError, SyncInProgressError } from '../errors/errors';
import { needsReauthorization } from '../errors/needs-reauthorization';
import type { ActivityBatch } from '../provider/v1/activities';
import type { ConnectionContext } from '../provider/v1/context';
import type { Provider } from '../provider/v1/provider-v1';
import { withLease } from '../registry/lease';
import type { RequestCounter } from '../registry/provider-http';
import type { Runtime } from '../registry/runtime';
import type { SyncResult } from '../registry/types';
import type { ConnectionRecord } from '../store/store';
import { createConnectionSession } from '../tokens/connection-session';
import { describeFailure } from './error-message';
import { rejectionToJson } from './rejection-json';
import { screenActivities } from './screen-activities';
import { appCondition, syncLeaseKey } from './sync-engine';

/**
 * Stores one batch that did not come from a listing (a webhook's pushed or fetched activities, a
 * deletion) inside its own `webhook` row of `sync_history`, under the connection's sync lease. The
 * connection's cursor is left alone. Failures are recorded, not thrown.
 */
export async function applyBatch(
  rt: Runtime,
  provider: Provider,
  connection: ConnectionRecord,
  produce: (ctx: ConnectionContext) => Promise<ActivityBatch>,
): Promise<SyncResult> {
  return withLease(
    rt,
    syncLeaseKey(connection.id),
    {
      onBusy: (waited) =>
        new SyncInProgressError(
          `Connection ${connection.id} was busy syncing for ${Math.round(waited / 1000)} s: webhook not applied`,
          { provider: provider.id },
        ),
    },
    async (lease) => {
      const current = (await rt.store.getConnection(connection.id)) ?? connection;
      const sync = await rt.store.startSync({
        connectionId: current.id,
        syncType: 'webhook',
        cursorBefore: current.syncCursor,
        now: rt.clock.now(),
      });
      const counter: RequestCounter = { count: 0 };
      const base = {
        syncId: sync.id,
        connectionId: current.id,
        activitiesCreated: 0,
        activitiesUpdated: 0,
        activitiesDeleted: 0,
        activitiesRejected: 0,
        cursor: current.syncCursor,
        retryAt: null,
      };
      try {
        const session = createConnectionSession(rt, provider, current, { counter });
        const batch = screenActivities(provider.id, await produce(session.context()));
        if (!(await lease.renew())) {
          throw new SyncInProgressError(
            `Connection ${current.id}'s lease was taken by another process while the webhook was fetched: not applied`,
            { provider: provider.id },
          );
        }
        const committed = await rt.store.commitPage({
          connectionId: current.id,
          syncId: sync.id,
          activities: batch.activities,
          deletedIds: batch.deletedIds ?? [],
          rejected: batch.rejected.map(rejectionToJson),
          requestsMade: counter.count,
          now: rt.clock.now(),
        });
        await rt.store.finishSync(sync.id, { status: 'success', completedAt: rt.clock.now() });
        return {
          ...base,
          status: 'success',
          activitiesCreated: committed.created,
          activitiesUpdated: committed.updated,
          activitiesDeleted: committed.deleted,
          activitiesRejected: batch.rejected.length,
          requests: counter.count,
          errorName: null,
          errorMessage: null,
        };
      } catch (error) {
        // the whole app is suspended at the provider: pause the provider's syncs too (ADR 0019); the
        // delivery stays failed so that the provider delivers it again
        if (AppSuspendedError.isInstance(error))
          rt.appConditions.set(provider.id, appCondition(provider, error));
        const failure = describeFailure(error);
        await rt.store.finishSync(sync.id, {
          status: 'failed',
          completedAt: rt.clock.now(),
          errorName: failure.name,
          errorMessage: failure.message,
          requestsMade: counter.count,
        });
        if (needsReauthorization(error)) {
          // only the user can fix it: the connection says so (its Reconnect action) until they do
          await rt.store.updateConnection(
            current.id,
            { reauthRequired: true, lastError: failure.message },
            rt.clock.now(),
          );
        }
        rt.logger.warn('webhook processing failed', {
          provider: provider.id,
          connectionId: current.id,
          syncId: sync.id,
          error: failure.name,
          message: failure.message,
        });
        return {
          ...base,
          status: 'failed',
          requests: counter.count,
          errorName: failure.name,
          errorMessage: failure.message,
        };
      }
    },
  );
}
