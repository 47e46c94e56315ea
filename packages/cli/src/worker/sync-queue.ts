import PgBoss from 'pg-boss';

/** The pg-boss queue of sync jobs. */
export const SYNC_QUEUE = 'trainlytics-sync';

/**
 * The low-priority queue of the streams backfill (ADR 0032): one job at a time (`stately`, one key), each
 * a tick of `trainlytics.streams.tick`, which never runs while sync jobs wait.
 */
export const STREAMS_QUEUE = 'trainlytics-streams';

/** Jobs one pg-boss `insert` statement of `enqueueSyncs` carries. */
export const ENQUEUE_BATCH = 5_000;

/** What a sync job carries. */
export interface SyncJobData {
  connectionId: number;
  full: boolean;
}

export interface SyncQueueOptions {
  /** The app's PostgreSQL (pg-boss keeps its jobs in its own `pgboss` schema there). */
  connectionString: string;
  /** pg-boss's schema (default `pgboss`). */
  schema?: string;
  /** Attempts after the first one (default 5). */
  retryLimit?: number;
  /** Seconds before the first retry (default 30); doubled at each attempt (`retryBackoff`). */
  retryDelaySeconds?: number;
  /**
   * A job still active after this long is presumed dead (its worker crashed) and retried by another
   * worker (default 3,600: a long backfill waits for rate-limit windows).
   */
  expireInSeconds?: number;
  /** How often expired jobs are looked for (pg-boss maintenance, default 60). */
  maintenanceIntervalSeconds?: number;
  /** Pool size of pg-boss's own connections (default 4). */
  max?: number;
  /** Background errors of pg-boss's connections (logged by the worker); never thrown. */
  onError?: (error: Error) => void;
}

export interface EnqueueSyncOptions {
  full?: boolean;
  /** Run no earlier than this (the scheduler's backoff). */
  startAfter?: Date;
  /** Attempts after the first one for this job (default: the queue's). */
  retryLimit?: number;
}

/** A job that failed every attempt: what the dashboard lists. */
export interface DeadSyncJob {
  jobId: string;
  connectionId: number;
  full: boolean;
  attempts: number;
  /** The last attempt's error (the worker stores the SyncResult's message or the thrown error's). */
  errorMessage: string | null;
  createdAt: Date;
  failedAt: Date | null;
}

export interface SyncQueue {
  readonly boss: PgBoss;
  /** Installs/updates pg-boss's schema and creates the queue (idempotent). */
  start(): Promise<void>;
  /**
   * Enqueues a sync of one connection. The connection id is the job's singleton key: while a job of the
   * connection waits, another enqueue returns null (it is already queued).
   */
  enqueueSync(connectionId: number, options?: EnqueueSyncOptions): Promise<string | null>;
  /**
   * Enqueues an incremental sync of each connection in a few statements (one query for the connections
   * that already have a waiting job, then pg-boss `insert` of the others, `ENQUEUE_BATCH` jobs a statement):
   * the scheduler's tick in queue mode. The singleton key still holds: a job another process enqueued
   * meanwhile is collapsed by pg-boss (and counted in `enqueued` here).
   */
  enqueueSyncs(connectionIds: readonly number[]): Promise<{ enqueued: number; alreadyQueued: number }>;
  /**
   * Enqueues one tick of the streams backfill on `STREAMS_QUEUE` (at most one waiting and one running: a
   * tick already waiting absorbs this one, so null). Idempotent: the backlog lives in the database.
   */
  enqueueStreamsTick(options?: { startAfter?: Date }): Promise<string | null>;
  /**
   * Whether sync jobs of the provider (or of any provider without one) are waiting to run now (created or
   * retrying, their start time passed): the streams backfill waits for them.
   */
  syncJobsWaiting(provider?: string): Promise<boolean>;
  /** Jobs that failed every attempt, newest first (the dashboard's dead jobs). */
  listDeadJobs(options?: { limit?: number }): Promise<DeadSyncJob[]>;
  /** Sends a dead job back to the queue. */
  retryDeadJob(jobId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The sync queue on pg-boss 10: jobs in the same PostgreSQL/Supabase database the app already has, shared
 * by any number of `trainlytics worker` processes on any number of machines.
 *
 * The queue's policy is `short`: at most one *queued* job per connection (its id is the singleton key), so
 * a burst of webhooks collapses into one sync. Running it twice at once is prevented by the sync's own
 * lease in the database (a second job of the same connection waits for the first).
 */
export function createSyncQueue(options: SyncQueueOptions): SyncQueue {
  const schema = options.schema ?? 'pgboss';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid pg-boss schema name: ${schema}`);
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema,
    max: options.max ?? 4,
    application_name: 'trainlytics-worker',
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
    monitorStateIntervalSeconds: 60,
  });
  // pg-boss re-emits its pool's errors (a client dropped when the server restarts or the database is
  // dropped): without a listener Node would crash the worker. The failed operation itself still rejects.
  boss.on('error', (error) => options.onError?.(error));
  const retryLimit = options.retryLimit ?? 5;
  const retryDelay = options.retryDelaySeconds ?? 30;
  const expireInSeconds = options.expireInSeconds ?? 3_600;
  let started = false;
  const checkId = (connectionId: number) => {
    if (!Number.isInteger(connectionId) || connectionId <= 0) {
      throw new Error(`enqueueSync needs a connection id (a positive integer), got ${connectionId}`);
    }
  };

  return {
    boss,
    async start() {
      if (started) return;
      await boss.start();
      started = true;
      const queue = {
        name: SYNC_QUEUE,
        policy: 'short' as const,
        retryLimit,
        retryDelay,
        retryBackoff: true,
        expireInSeconds,
      };
      if (await boss.getQueue(SYNC_QUEUE)) await boss.updateQueue(SYNC_QUEUE, queue);
      else await boss.createQueue(SYNC_QUEUE, queue);
      // a failed tick is not retried: the next one (every enqueue tick of `serve --queue`) does the same work
      const streams = { name: STREAMS_QUEUE, policy: 'stately' as const, retryLimit: 0, expireInSeconds };
      if (await boss.getQueue(STREAMS_QUEUE)) await boss.updateQueue(STREAMS_QUEUE, streams);
      else await boss.createQueue(STREAMS_QUEUE, streams);
    },
    async enqueueSync(connectionId, enqueueOptions = {}) {
      checkId(connectionId);
      const data: SyncJobData = { connectionId, full: Boolean(enqueueOptions.full) };
      return boss.send(SYNC_QUEUE, data, {
        singletonKey: String(connectionId),
        retryLimit: enqueueOptions.retryLimit ?? retryLimit,
        retryDelay,
        retryBackoff: true,
        expireInSeconds,
        ...(enqueueOptions.startAfter ? { startAfter: enqueueOptions.startAfter } : {}),
      });
    },
    async enqueueSyncs(connectionIds) {
      for (const id of connectionIds) checkId(id);
      const keys = [...new Set(connectionIds)].map(String);
      if (keys.length === 0) return { enqueued: 0, alreadyQueued: 0 };
      const { rows } = await boss
        .getDb()
        .executeSql(
          `select singleton_key from ${schema}.job where name = $1 and state = 'created' and singleton_key = any($2::text[])`,
          [SYNC_QUEUE, keys],
        );
      const queued = new Set(rows.map((row: { singleton_key: string }) => row.singleton_key));
      const jobs: PgBoss.JobInsert<SyncJobData>[] = keys
        .filter((key) => !queued.has(key))
        .map((key) => ({
          name: SYNC_QUEUE,
          data: { connectionId: Number(key), full: false },
          singletonKey: key,
          retryLimit,
          retryDelay,
          retryBackoff: true,
          expireInSeconds,
        }));
      for (let i = 0; i < jobs.length; i += ENQUEUE_BATCH)
        await boss.insert(jobs.slice(i, i + ENQUEUE_BATCH));
      return { enqueued: jobs.length, alreadyQueued: keys.length - jobs.length };
    },
    async enqueueStreamsTick(tickOptions = {}) {
      return boss.send(
        STREAMS_QUEUE,
        {},
        {
          singletonKey: 'tick',
          retryLimit: 0,
          expireInSeconds,
          ...(tickOptions.startAfter ? { startAfter: tickOptions.startAfter } : {}),
        },
      );
    },
    async syncJobsWaiting(provider) {
      // the sync job carries only the connection id: its provider is the connection's
      const { rows } = await boss.getDb().executeSql(
        `select exists (
           select 1 from ${schema}.job j
            where j.name = $1 and j.state in ('created', 'retry') and j.start_after <= now()
              and ($2::text is null or exists (
                select 1 from provider_connections c
                 where c.id = (j.data->>'connectionId')::int and c.provider::text = $2))
         ) as waiting`,
        [SYNC_QUEUE, provider ?? null],
      );
      return Boolean((rows[0] as { waiting?: boolean } | undefined)?.waiting);
    },
    async listDeadJobs(listOptions = {}) {
      const limit = Math.max(1, Math.min(1_000, listOptions.limit ?? 100));
      const { rows } = await boss.getDb().executeSql(
        `select id, data, output, retry_count, created_on, completed_on from (
           select id, data, output, retry_count, created_on, completed_on from ${schema}.job
            where name = $1 and state = 'failed'
           union all
           select id, data, output, retry_count, created_on, completed_on from ${schema}.archive
            where name = $1 and state = 'failed'
         ) dead order by completed_on desc nulls last limit $2`,
        [SYNC_QUEUE, limit],
      );
      return rows.map((row: Record<string, unknown>) => {
        const data = (row.data ?? {}) as Partial<SyncJobData>;
        const output = (row.output ?? {}) as { message?: unknown; value?: { message?: unknown } };
        const message = output.message ?? output.value?.message;
        return {
          jobId: String(row.id),
          connectionId: Number(data.connectionId),
          full: Boolean(data.full),
          attempts: Number(row.retry_count) + 1,
          errorMessage: typeof message === 'string' ? message : null,
          createdAt: new Date(row.created_on as string),
          failedAt: row.completed_on ? new Date(row.completed_on as string) : null,
        };
      });
    },
    async retryDeadJob(jobId) {
      await boss.retry(SYNC_QUEUE, jobId);
    },
    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}
