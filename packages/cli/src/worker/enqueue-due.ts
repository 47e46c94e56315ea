import type { Trainlytics } from '@trainlytics/core';
import type { SyncQueue } from './sync-queue';

/** What the due-connection query runs on: a node-postgres Pool or Client (or pg-boss's own `getDb()`). */
export interface DueQueryable {
  query(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/**
 * How often `serve --queue` runs `enqueueDueConnections` (at most; less often when the interval is shorter).
 * Short ticks keep each tick's batch small: at 100,000 connections polled every 15 minutes about 1,700 fall
 * due every 15 s (a 60 s tick would insert 6,700 jobs at once, over a second on a loaded 2-core machine).
 */
export const QUEUE_TICK_MS = 15_000;

/** The most connections one tick enqueues by default (`EnqueueDueOptions.limit`). */
export const DEFAULT_ENQUEUE_LIMIT = 2_500;

export interface EnqueueDueOptions {
  /** A connection is due when its last sync is older than this (default 15 minutes, as the scheduler). */
  intervalMs?: number;
  now?: Date;
  /**
   * The most connections one tick enqueues (default 2,500, i.e. 10,000 a minute with `QUEUE_TICK_MS`): the
   * most overdue first, the rest at the next tick, so a tick stays short however many connections are due
   * at once (after an outage, at first start).
   */
  limit?: number;
  /**
   * Where the app's tables are (default: pg-boss's own connection, which is the same database). Pass the
   * app's pool when its tables are in a schema pg-boss's connection does not search.
   */
  db?: DueQueryable;
}

export interface EnqueueDueReport {
  /** Connections that were due (at most `limit`). */
  due: number;
  /** Jobs created now. */
  enqueued: number;
  /** Due connections that already had a job waiting (the singleton key collapsed them). */
  alreadyQueued: number;
}

/**
 * The due connections, most overdue first (never synced, then the oldest sync): active, not waiting for
 * re-authorization, of a provider this app has, last synced at or before `cutoff`. One indexed query
 * (migration 015's `provider_connections_due_idx`), whatever the number of connections.
 */
export async function selectDueConnectionIds(
  db: DueQueryable,
  options: { providers: readonly string[]; cutoff: Date; limit: number },
): Promise<number[]> {
  const { rows } = await db.query(
    `select id from provider_connections
      where is_active and not reauth_required
        and provider::text = any($1::text[])
        and coalesce(last_sync_at, '-infinity'::timestamptz) <= $2
      order by coalesce(last_sync_at, '-infinity'::timestamptz), id
      limit $3`,
    [options.providers, options.cutoff.toISOString(), options.limit],
  );
  return rows.map((row) => Number(row.id));
}

/**
 * The scheduler's tick in queue mode: instead of syncing the due connections in this process, enqueue one
 * job each for the workers — one query for the due connections and one batched insert into pg-boss
 * (`SyncQueue.enqueueSyncs`). Safe to run from every host process at once (a connection's waiting job is
 * a singleton), e.g. every `QUEUE_TICK_MS`.
 */
export async function enqueueDueConnections(
  trainlytics: Trainlytics,
  queue: SyncQueue,
  options: EnqueueDueOptions = {},
): Promise<EnqueueDueReport> {
  const intervalMs = options.intervalMs ?? 15 * 60_000;
  const now = options.now ?? new Date();
  const limit = options.limit ?? DEFAULT_ENQUEUE_LIMIT;
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new Error(`enqueueDueConnections needs a positive integer limit, got ${limit}`);
  }
  const db = options.db ?? pgBossQueryable(queue);
  const ids = await selectDueConnectionIds(db, {
    providers: trainlytics.providerIds,
    cutoff: new Date(now.getTime() - intervalMs),
    limit,
  });
  const { enqueued, alreadyQueued } = await queue.enqueueSyncs(ids);
  return { due: ids.length, enqueued, alreadyQueued };
}

function pgBossQueryable(queue: SyncQueue): DueQueryable {
  const db = queue.boss.getDb();
  return { query: (text, values) => db.executeSql(text, values) as Promise<{ rows: never[] }> };
}
