export { type EnqueueDueOptions, type EnqueueDueReport, enqueueDueConnections } from './enqueue-due';
export { type LeaseRecovery, withLeaseRecovery } from './lease-recovery';
export {
  createSyncQueue,
  type DeadSyncJob,
  type EnqueueSyncOptions,
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
