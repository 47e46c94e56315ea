export {
  DEFAULT_ENQUEUE_LIMIT,
  type DueQueryable,
  type EnqueueDueOptions,
  type EnqueueDueReport,
  enqueueDueConnections,
  QUEUE_TICK_MS,
  selectDueConnectionIds,
} from './enqueue-due';
export { type LeaseRecovery, withLeaseRecovery } from './lease-recovery';
export {
  createSyncQueue,
  type DeadSyncJob,
  ENQUEUE_BATCH,
  type EnqueueSyncOptions,
  STREAMS_QUEUE,
  SYNC_QUEUE,
  type SyncJobData,
  type SyncQueue,
  type SyncQueueOptions,
} from './sync-queue';
export {
  SyncJobFailedError,
  type SyncWorker,
  type SyncWorkerEvent,
  type SyncWorkerOptions,
  startSyncWorker,
} from './sync-worker';
export {
  parseWindowPeriods,
  registerWorkerCommand,
  sharedRateLimitTracker,
  type WorkerCommandDeps,
} from './worker-command';
