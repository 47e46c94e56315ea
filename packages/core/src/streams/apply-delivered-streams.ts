import type { NormalizedActivity } from '../model/activity';
import type { Provider } from '../provider/v1/provider-v1';
import type { DeliveredStreams, DeliveredStreamsBatch } from '../provider/v1/streams';
import type { ActivityStreamsEvent } from '../provider/v1/webhook';
import type { Runtime } from '../registry/runtime';
import type { ActivityRow, ConnectionRecord, Store } from '../store/store';
import { applyBatch } from '../sync/apply-batch';

/** How many activities starting at or just before the delivered start are looked through for the id. */
const LOOKUP_LIMIT = 100;

/**
 * The connection's stored activity with `providerActivityId`, found through the (connection, start date)
 * index: the activities starting up to one second after `startDate`, newest first.
 */
async function findStoredActivity(
  store: Store,
  connectionId: number,
  item: Pick<DeliveredStreams, 'providerActivityId' | 'startDate'>,
): Promise<ActivityRow | null> {
  const rows = await store.listActivities({
    connectionId,
    before: new Date(item.startDate.getTime() + 1000),
    limit: LOOKUP_LIMIT,
  });
  return rows.find((row) => row.providerActivityId === item.providerActivityId) ?? null;
}

/**
 * Stores the streams of an `activity.streams` webhook event (push delivery, ADR 0033). The items come
 * from the body or from the plugin's `streams.fetchDelivered(ref)`, inside a `webhook` row of
 * `sync_history` (rejections recorded there). An item whose activity is not stored yet (the detail came
 * before its summary) first stores the activity the delivery describes, in the same row, so nothing is
 * lost; a stored activity is never overwritten by it. Returns false when something could not be stored
 * (the webhook key is then forgotten and, inline, the provider delivers again).
 */
export async function applyDeliveredStreams(
  rt: Runtime,
  provider: Provider,
  connection: ConnectionRecord,
  event: ActivityStreamsEvent,
): Promise<boolean> {
  const store = rt.store;
  const save = store.saveActivityStreams?.bind(store);
  if (!save) {
    rt.logger.error('activity streams delivered to a store that cannot keep them; not stored', {
      provider: provider.id,
      connectionId: connection.id,
      hint: 'run the Trainlytics migrations up to 016_activity_streams and use a store from @trainlytics/core 0.2 or later',
    });
    return false;
  }
  const fetchDelivered = provider.streams?.fetchDelivered?.bind(provider.streams);
  const ref = event.ref;
  if (!event.delivered && (ref === undefined || !fetchDelivered)) {
    rt.logger.warn('activity.streams event with nothing to store (no items, or no fetchDelivered)', {
      provider: provider.id,
      connectionId: connection.id,
    });
    return true;
  }
  let items: DeliveredStreams[] = [];
  const result = await applyBatch(rt, provider, connection, async (ctx) => {
    const batch: DeliveredStreamsBatch =
      event.delivered ?? (await (fetchDelivered as NonNullable<typeof fetchDelivered>)(ctx, ref ?? null));
    items = batch.items;
    const missing: NormalizedActivity[] = [];
    for (const item of items) {
      if (item.activity && !(await findStoredActivity(store, connection.id, item))) {
        missing.push(item.activity);
      }
    }
    return { activities: missing, rejected: batch.rejected };
  });
  if (result.status !== 'success') return false;
  let stored = true;
  for (const item of items) {
    const row = await findStoredActivity(store, connection.id, item);
    if (!row) {
      rt.logger.warn('activity streams delivered for an activity that is not stored; delivery not taken', {
        provider: provider.id,
        connectionId: connection.id,
        providerActivityId: item.providerActivityId,
      });
      stored = false;
      continue;
    }
    await save(row.id, item.streams, rt.clock.now());
  }
  return stored;
}
