import { createTrainlytics, type Logger, type RateLimitTracker, silentLogger } from '@trainlytics/core';
import { postgresRateLimitTracker } from '@trainlytics/core/postgres';
import { parseDatabaseInput } from '@trainlytics/migrations';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { withDatabaseOption } from '../commands/shared-options';
import { type StreamsFlags, streamsPolicyFromFlags, withStreamsOptions } from '../commands/streams-options';
import { assertMigrated, openDatabase } from '../database';
import { checkTokenEncryption } from '../encryption-check';
import { parsePositiveInt } from '../format';
import { leaseHolderName } from '../open-trainlytics';
import { providersFromEnv } from '../providers-from-env';
import { waitForShutdown } from '../shutdown-signal';
import { storeFromDatabase } from '../store-from-database';
import { UserError } from '../user-error';
import { withLeaseRecovery } from './lease-recovery';
import { createSyncQueue } from './sync-queue';
import { type SyncWorkerEvent, startSyncWorker } from './sync-worker';

interface WorkerFlags extends StreamsFlags {
  databaseUrl?: string;
  concurrency?: string;
  retryLimit?: string;
  retryDelay?: string;
  expireIn?: string;
  pollInterval?: string;
  maintenanceInterval?: string;
  listDead?: boolean;
  json?: boolean;
}

export interface WorkerCommandDeps {
  io: CliIO;
  setExitCode: (code: number) => void;
  /** Resolves when the worker should stop (default: SIGINT or SIGTERM). */
  stopSignal?: () => Promise<void>;
  logger?: Logger;
}

/**
 * `TRAINLYTICS_RATE_LIMIT_WINDOWS="15min=900000,daily=86400000"`: the length of each provider rate-limit
 * window by name, when it differs from the provider's documented one (a sandbox with short windows).
 */
export function parseWindowPeriods(value: string | undefined): Record<string, number> | undefined {
  if (!value) return undefined;
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const [name, ms] = part.split('=').map((s) => s.trim());
    const n = Number(ms);
    if (!name || !Number.isInteger(n) || n <= 0) {
      throw new UserError(
        `Invalid TRAINLYTICS_RATE_LIMIT_WINDOWS entry ${JSON.stringify(part)}: expected name=milliseconds, e.g. 15min=900000`,
      );
    }
    out[name] = n;
  }
  return out;
}

/**
 * The providers' app-wide rate-limit state kept in PostgreSQL (migration 004), shared by every worker and by
 * `serve --queue`; `TRAINLYTICS_RATE_LIMIT_WINDOWS` / `TRAINLYTICS_RATE_LIMIT_GUARD_MS` tune it.
 */
export function sharedRateLimitTracker(
  pool: Parameters<typeof postgresRateLimitTracker>[0]['db'],
  env: Record<string, string | undefined>,
): RateLimitTracker {
  return postgresRateLimitTracker({
    db: pool,
    ...(env.TRAINLYTICS_RATE_LIMIT_WINDOWS
      ? { windowPeriodsMs: parseWindowPeriods(env.TRAINLYTICS_RATE_LIMIT_WINDOWS) }
      : {}),
    ...(env.TRAINLYTICS_RATE_LIMIT_GUARD_MS
      ? { guardMs: parsePositiveInt(env.TRAINLYTICS_RATE_LIMIT_GUARD_MS, 'TRAINLYTICS_RATE_LIMIT_GUARD_MS') }
      : {}),
  });
}

function describeEvent(event: SyncWorkerEvent): string {
  switch (event.type) {
    case 'started':
      return `connection ${event.connectionId}: sync started (job ${event.jobId}, attempt ${event.attempt})`;
    case 'finished':
      return `connection ${event.connectionId}: sync ${event.result.status}, ${event.result.activitiesCreated} created, ${event.result.activitiesUpdated} updated, ${event.result.requests} requests${event.result.errorMessage ? ` — ${event.result.errorMessage}` : ''}`;
    case 'skipped':
      return `connection ${event.connectionId}: skipped (${event.reason === 'in-progress' ? 'a sync of it is running on another worker' : 'the connection no longer exists'})`;
    case 'failed':
      return `connection ${event.connectionId}: job failed — ${event.message}`;
    case 'streams':
      return `activity detail: ${event.report.stored + event.report.none} of ${event.report.planned} planned fetched, ${event.report.requests} requests${event.report.failed ? `, ${event.report.failed} failed (they stay in the backlog)` : ''}${event.report.waitedForSummary.length ? ` — waited for summary syncs of ${event.report.waitedForSummary.join(', ')}` : ''}`;
    case 'deferred':
      return `connection ${event.connectionId}: deferred ${event.reason === 'AppSuspendedError' ? 'because the provider suspended the app (see sync_history for the fix)' : 'by the rate limit'}, ${event.requeued ? 'enqueued again' : 'a queued job takes over'} to run at ${event.retryAt.toISOString()}`;
  }
}

/**
 * `trainlytics worker`: consumes sync jobs from the pg-boss queue in the app's PostgreSQL, sharing each
 * provider's app-wide rate limit with every other worker through the database. `--list-dead` prints the
 * jobs that failed every attempt instead.
 */
export function registerWorkerCommand(program: Command, deps: WorkerCommandDeps): Command {
  const { io } = deps;
  const command = withDatabaseOption(
    program
      .command('worker')
      .description('run sync jobs from the queue (pg-boss in your PostgreSQL); run as many as you need')
      .option('--concurrency <n>', 'jobs this process runs at once', '2')
      .option('--retry-limit <n>', 'attempts after the first one before a job is dead', '5')
      .option('--retry-delay <seconds>', 'seconds before the first retry (doubled each time)', '30')
      .option('--expire-in <seconds>', 'a job active this long is presumed dead and retried', '3600')
      .option('--poll-interval <seconds>', 'how often an idle worker looks for jobs', '2')
      .option('--maintenance-interval <seconds>', 'how often expired jobs are looked for', '60')
      .option('--list-dead', 'print the jobs that failed every attempt and exit')
      .option('--json', 'one JSON object per line'),
  );
  return withStreamsOptions(command, { withSwitch: true }).action(async (flags: WorkerFlags) => {
    const streamsPolicy = streamsPolicyFromFlags(flags);
    const location = parseDatabaseInput({ databaseUrl: flags.databaseUrl, env: io.env, cwd: io.cwd });
    if (location.kind !== 'postgres') {
      throw new UserError(
        'trainlytics worker needs PostgreSQL: pass --database-url or set DATABASE_URL (the embedded database serves one process; use `trainlytics serve` for it)',
      );
    }
    const url = location.url;
    const database = await openDatabase({ databaseUrl: url, env: io.env, cwd: io.cwd });
    const logger = deps.logger ?? silentLogger;
    const queue = createSyncQueue({
      // a connection lost with the database (a restart): logged; pg-boss connects again and carries on
      onError: (error) => logger.warn('job queue: database connection error', { error: error.message }),
      connectionString: url,
      retryLimit: parsePositiveInt(flags.retryLimit ?? '5', '--retry-limit'),
      retryDelaySeconds: parsePositiveInt(flags.retryDelay ?? '30', '--retry-delay'),
      expireInSeconds: parsePositiveInt(flags.expireIn ?? '3600', '--expire-in'),
      maintenanceIntervalSeconds: parsePositiveInt(
        flags.maintenanceInterval ?? '60',
        '--maintenance-interval',
      ),
    });
    const print = (line: string, json: unknown) =>
      writeLine(io.stdout, flags.json ? JSON.stringify(json) : line);
    try {
      await assertMigrated(database);
      await queue.start();
      if (flags.listDead) {
        const dead = await queue.listDeadJobs();
        if (flags.json) writeLine(io.stdout, JSON.stringify(dead));
        else if (dead.length === 0) writeLine(io.stdout, 'No dead sync jobs.');
        else
          for (const job of dead)
            writeLine(
              io.stdout,
              `${job.jobId}  connection ${job.connectionId}${job.full ? ' (full)' : ''}  ${job.attempts} attempts  ${job.errorMessage ?? ''}`,
            );
        return;
      }
      const pool = database.pool;
      if (!pool) throw new UserError('trainlytics worker needs PostgreSQL, not the embedded database');
      const recovery = await withLeaseRecovery(storeFromDatabase(database), pool, { logger });
      const trainlytics = createTrainlytics({
        store: recovery.store,
        providers: providersFromEnv(io.env),
        encryptionKey: io.env.TRAINLYTICS_ENCRYPTION_KEY || undefined,
        logger,
        rateLimitTracker: sharedRateLimitTracker(pool, io.env),
        lease: { holderName: leaseHolderName('worker') },
        streams: streamsPolicy,
      });
      await checkTokenEncryption(trainlytics, (warning) => writeLine(io.stderr, warning)).catch(
        async (error: unknown) => {
          await recovery.close();
          throw error;
        },
      );
      const concurrency = parsePositiveInt(flags.concurrency ?? '2', '--concurrency');
      const worker = await startSyncWorker({
        trainlytics,
        queue,
        concurrency,
        pollingIntervalSeconds: Number(flags.pollInterval ?? '2') || 2,
        logger,
        streams: Boolean(flags.streams),
        onEvent: (event) => print(describeEvent(event), { event: event.type, ...event, type: undefined }),
      });
      // listening for the stop signal before saying the worker is ready (see `serve`)
      const stopped = (deps.stopSignal ?? waitForShutdown)();
      print(`Worker ready: ${concurrency} at once on ${database.description}`, {
        event: 'ready',
        pid: process.pid,
        concurrency,
      });
      await stopped;
      await worker.stop();
      await queue.stop();
      await trainlytics.close();
      await recovery.close();
      print('Worker stopped', { event: 'stopped' });
    } finally {
      await queue.stop().catch(() => {});
      await database.close();
    }
  });
}
