import type { Trainlytics } from '@trainlytics/core';
import type { SyncQueue } from './sync-queue';

export interface EnqueueDueOptions {
  /** A connection is due when its last sync is older than this (default 15 minutes, as the scheduler). */
  intervalMs?: number;
  now?: Date;
}

export interface EnqueueDueReport {
  due: number;
  /** Jobs created now. */
  enqueued: number;
  /** Due connections that already had a job waiting (the singleton key collapsed them). */
  alreadyQueued: number;
}

/**
 * The scheduler's tick in queue mode: instead of syncing the due connections in this process, enqueue one
 * job each for the workers. Safe to run from every host process at once (a connection's waiting job is a
 * singleton), e.g. every minute.
 */
export async function enqueueDueConnections(
  trainlytics: Trainlytics,
  queue: SyncQueue,
  options: EnqueueDueOptions = {},
): Promise<EnqueueDueReport> {
  const intervalMs = options.intervalMs ?? 15 * 60_000;
  const now = options.now ?? new Date();
  const connections = await trainlytics.connections.list({ active: true });
  const due = connections
    .filter((c) => c.status === 'active' && trainlytics.providerIds.includes(c.provider))
    .filter((c) => !c.lastSyncAt || now.getTime() - c.lastSyncAt.getTime() >= intervalMs);
  const report: EnqueueDueReport = { due: due.length, enqueued: 0, alreadyQueued: 0 };
  for (const connection of due) {
    if (await queue.enqueueSync(connection.id)) report.enqueued++;
    else report.alreadyQueued++;
  }
  return report;
}
