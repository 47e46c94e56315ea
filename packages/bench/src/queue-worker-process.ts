import { createSyncQueue, startSyncWorker } from '@trainlytics/cli';
import type { SyncResult, Trainlytics } from '@trainlytics/core';

/**
 * One `trainlytics worker` process of the queue-scale throughput run:
 * `queue-worker-process.ts <connectionString> <concurrency> <pollingIntervalSeconds>`. The real pg-boss queue
 * and `startSyncWorker`; only the sync itself is a no-op (it succeeds at once without a request), so what
 * is measured is the job queue: fetching, running and completing jobs. Prints `ready`, stops on SIGTERM.
 */
async function main([connectionString, concurrency, pollSeconds]: string[]): Promise<void> {
  if (!connectionString)
    throw new Error('usage: queue-worker-process.ts <connectionString> <concurrency> <poll s>');
  const noOpSync = async (connectionId: number): Promise<SyncResult> => ({
    syncId: 0,
    connectionId,
    status: 'success',
    retryAt: null,
    activitiesCreated: 0,
    activitiesUpdated: 0,
    activitiesDeleted: 0,
    activitiesRejected: 0,
    requests: 0,
    errorName: null,
    errorMessage: null,
    cursor: null,
  });
  const trainlytics = { sync: noOpSync } as unknown as Trainlytics;
  const queue = createSyncQueue({ connectionString, maintenanceIntervalSeconds: 3_600 });
  await queue.start();
  const worker = await startSyncWorker({
    trainlytics,
    queue,
    concurrency: Number(concurrency),
    pollingIntervalSeconds: Number(pollSeconds),
  });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await worker.stop();
  await queue.stop();
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
