import {
  type Logger,
  NotFoundError,
  type StreamsTickReport,
  SyncInProgressError,
  type SyncResult,
  silentLogger,
  type Trainlytics,
} from '@trainlytics/core';
import type PgBoss from 'pg-boss';
import { STREAMS_QUEUE, SYNC_QUEUE, type SyncJobData, type SyncQueue } from './sync-queue';

export interface SyncWorkerOptions {
  trainlytics: Trainlytics;
  queue: SyncQueue;
  /** Jobs this process runs at once (default 2). */
  concurrency?: number;
  /** How often an idle worker polls for jobs (default 2 s; pg-boss's minimum is 0.5 s). */
  pollingIntervalSeconds?: number;
  logger?: Logger;
  /** Called when a job starts and ends (the command prints these; tests read them). */
  onEvent?: (event: SyncWorkerEvent) => void;
  /**
   * The longest a job's sync waits for a provider's rate-limit window (default 60 s: a short wait costs
   * less than a new job). Beyond it the sync ends `deferred` (pages committed) and the worker enqueues the
   * connection again with `startAfter` = `retryAt`, so no worker slot or lease is held for a window (Strava's
   * quarter hour) and nothing is lost.
   */
  maxRateLimitWaitMs?: number;
  /**
   * Also consume the low-priority `trainlytics-streams` queue (one tick at a time per process): each job is
   * a `trainlytics.streams.tick` that leaves alone every provider with sync jobs waiting (ADR 0032).
   */
  streams?: boolean;
}

export type SyncWorkerEvent =
  | { type: 'started'; jobId: string; connectionId: number; attempt: number }
  | { type: 'finished'; jobId: string; connectionId: number; result: SyncResult }
  | {
      type: 'deferred';
      jobId: string;
      connectionId: number;
      retryAt: Date;
      requeued: boolean;
      /** `RateLimitError`, or `AppSuspendedError` (the provider refuses every call of the app). */
      reason?: string | null;
    }
  | { type: 'skipped'; jobId: string; connectionId: number; reason: 'in-progress' | 'not-found' }
  | { type: 'failed'; jobId: string; connectionId: number; message: string }
  | { type: 'streams'; jobId: string; report: StreamsTickReport };

export interface SyncWorker {
  /** Stops taking jobs and waits for the running ones. */
  stop(): Promise<void>;
}

/** Why a sync job failed (pg-boss stores it as the job's output; the dead-job list shows it). */
export class SyncJobFailedError extends Error {
  override readonly name = 'SyncJobFailedError';
}

/**
 * Consumes sync jobs: each job runs `trainlytics.sync(connectionId, { full })`. A failed sync throws, so
 * pg-boss retries it with backoff and, after the last attempt, keeps it as a dead (failed) job. A sync a
 * rate limit deferred completes its job and enqueues a new one to start at its `retryAt`. A retry
 * (the previous attempt failed or its worker died) does not wait for a sync of the connection that is
 * still running elsewhere: that one finishes the work.
 */
export async function startSyncWorker(options: SyncWorkerOptions): Promise<SyncWorker> {
  const { trainlytics, queue } = options;
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const emit = options.onEvent ?? (() => {});

  async function runJob(job: PgBoss.JobWithMetadata<SyncJobData>): Promise<unknown> {
    const { connectionId, full } = job.data;
    const attempt = job.retryCount + 1;
    emit({ type: 'started', jobId: job.id, connectionId, attempt });
    let result: SyncResult;
    try {
      result = await trainlytics.sync(connectionId, {
        full,
        ifLocked: job.retryCount > 0 ? 'skip' : 'wait',
        maxRateLimitWaitMs: options.maxRateLimitWaitMs ?? 60_000,
      });
    } catch (error) {
      if (SyncInProgressError.isInstance(error)) {
        emit({ type: 'skipped', jobId: job.id, connectionId, reason: 'in-progress' });
        return { skipped: 'in-progress' };
      }
      if (NotFoundError.isInstance(error)) {
        emit({ type: 'skipped', jobId: job.id, connectionId, reason: 'not-found' });
        return { skipped: 'not-found' };
      }
      const message = error instanceof Error ? error.message : String(error);
      emit({ type: 'failed', jobId: job.id, connectionId, message });
      throw error;
    }
    emit({ type: 'finished', jobId: job.id, connectionId, result });
    if (result.status === 'deferred' && result.retryAt) {
      // null: a job of the connection is already waiting (a webhook's); it runs, finds the window still
      // closed without sending a request, and is deferred to `retryAt` in turn. A failed enqueue throws,
      // so pg-boss retries this job: the deferred sync is never dropped.
      const requeued = await queue.enqueueSync(connectionId, { full, startAfter: result.retryAt });
      emit({
        type: 'deferred',
        jobId: job.id,
        connectionId,
        retryAt: result.retryAt,
        requeued: requeued !== null,
        reason: result.errorName,
      });
      logger.info('sync deferred, enqueued again', {
        connectionId,
        reason: result.errorName,
        retryAt: result.retryAt.toISOString(),
      });
      return { syncId: result.syncId, status: result.status, retryAt: result.retryAt.toISOString() };
    }
    if (result.status === 'failed') {
      logger.warn('sync failed, the job is retried with backoff', { connectionId, attempt });
      throw new SyncJobFailedError(
        `Sync ${result.syncId} of connection ${connectionId} failed (attempt ${attempt}): ${result.errorMessage ?? result.errorName ?? 'unknown error'}`,
      );
    }
    return {
      syncId: result.syncId,
      status: result.status,
      activitiesCreated: result.activitiesCreated,
      activitiesUpdated: result.activitiesUpdated,
      requests: result.requests,
    };
  }

  const workerIds: string[] = [];
  for (let i = 0; i < concurrency; i++) {
    workerIds.push(
      await queue.boss.work<SyncJobData>(
        SYNC_QUEUE,
        {
          batchSize: 1,
          includeMetadata: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
        },
        async ([job]) => (job ? runJob(job) : undefined),
      ),
    );
  }

  if (options.streams) {
    workerIds.push(
      await queue.boss.work(
        STREAMS_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
        async ([job]) => {
          if (!job) return undefined;
          // sync jobs waiting now go first: the tick leaves their provider alone, before and between fetches
          const report = await trainlytics.streams.tick({
            isSummaryDue: (provider) => queue.syncJobsWaiting(provider),
          });
          emit({ type: 'streams', jobId: job.id, report });
          return {
            planned: report.planned,
            stored: report.stored,
            none: report.none,
            failed: report.failed,
            requests: report.requests,
            waitedForSummary: report.waitedForSummary,
          };
        },
      ),
    );
  }

  return {
    async stop() {
      for (const id of workerIds) await queue.boss.offWork({ id });
    },
  };
}
