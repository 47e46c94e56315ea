import { type Connection, consoleLogger, createMemoryRateLimitTracker } from '@trainlytics/core';
import { parseDatabaseInput } from '@trainlytics/migrations';
import type { Command } from 'commander';
import { adminTokenAuth } from '../app/admin-token-auth';
import { type HostAuthOptions, loopbackDemoAuth } from '../app/auth';
import type { DeferredSync } from '../app/create-host-app';
import { isLoopbackHost, startHostServer } from '../app/host-server';
import { type CliIO, writeLine } from '../cli-io';
import { parsePositiveInt } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { configuredProviderIds, KNOWN_PROVIDER_IDS } from '../providers-from-env';
import { createScheduler } from '../scheduler';
import { waitForShutdown } from '../shutdown-signal';
import { UserError } from '../user-error';
import { createSyncQueue, enqueueDueConnections, QUEUE_TICK_MS, sharedRateLimitTracker } from '../worker';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';
import { type StreamsFlags, streamsPolicyFromFlags, withStreamsOptions } from './streams-options';

interface ServeFlags extends DatabaseFlag, StreamsFlags {
  port?: string;
  host?: string;
  baseUrl?: string;
  syncInterval?: string;
  syncConcurrency?: string;
  scheduler?: boolean;
  queue?: boolean;
}

/**
 * The sign-in of `serve`: the admin token when `TRAINLYTICS_ADMIN_TOKEN` is set; otherwise the demo mode
 * (no sign-in), which is allowed on a loopback address only. Refused (exit 2) otherwise.
 */
export function serveAuth(
  env: CliIO['env'],
  hostname: string,
): { auth: HostAuthOptions; description: string } {
  const token = env.TRAINLYTICS_ADMIN_TOKEN;
  if (token !== undefined && token !== '') {
    return {
      auth: adminTokenAuth({ token }),
      description: 'admin token (sign in at /login, or send Authorization: Bearer $TRAINLYTICS_ADMIN_TOKEN)',
    };
  }
  if (!isLoopbackHost(hostname)) {
    throw new UserError(
      `Refusing to serve on ${hostname} without authentication: set TRAINLYTICS_ADMIN_TOKEN (at least 32 characters, e.g. \`openssl rand -hex 32\`) or listen on 127.0.0.1`,
      2,
    );
  }
  return {
    auth: loopbackDemoAuth(),
    description:
      'none (demo mode on loopback: anyone who reaches this address acts as any user; set TRAINLYTICS_ADMIN_TOKEN to require a sign-in)',
  };
}

/** `trainlytics serve [--port N]`: the host app with its dashboard, webhooks and scheduled sync. */
export function registerServeCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  const command = withDatabaseOption(
    program
      .command('serve')
      .description('run the host app: connect routes, webhooks, the connections dashboard and scheduled sync')
      .option('-p, --port <n>', 'port to listen on (default: $PORT, else 3000)')
      .option('--host <address>', 'interface to listen on', '127.0.0.1')
      .option(
        '--base-url <url>',
        'public origin used for OAuth redirect URIs and webhook URLs (default: $TRAINLYTICS_BASE_URL, else http://<host>:<port>)',
      )
      .option('--sync-interval <minutes>', 'sync each active connection when its last sync is this old', '15')
      .option('--sync-concurrency <n>', 'scheduled syncs running at once', '2')
      .option('--no-scheduler', 'do not sync on a schedule')
      .option(
        '--queue',
        'enqueue due syncs (and show failed jobs) on the pg-boss job queue that `trainlytics worker` processes consume, instead of syncing in this process (PostgreSQL only)',
      ),
  );
  withStreamsOptions(command, { withSwitch: true }).action(async (flags: ServeFlags) => {
    const streamsPolicy = streamsPolicyFromFlags(flags);
    const port = flags.port ?? io.env.PORT ?? '3000';
    const portNumber = port === '0' ? 0 : parsePositiveInt(port, '--port');
    const intervalMinutes = parsePositiveInt(flags.syncInterval ?? '15', '--sync-interval');
    const concurrency = parsePositiveInt(flags.syncConcurrency ?? '2', '--sync-concurrency');
    const hostname = flags.host ?? '127.0.0.1';
    const signIn = serveAuth(io.env, hostname);
    const baseUrl = flags.baseUrl ?? (io.env.TRAINLYTICS_BASE_URL || undefined);
    if (baseUrl && !/^https?:\/\/[^/]+/.test(baseUrl)) {
      throw new UserError(`Invalid --base-url "${baseUrl}": expected an origin like https://app.example.com`);
    }
    if (configuredProviderIds(io.env).length === 0) {
      throw new UserError(
        `No provider credentials: set <PROVIDER>_CLIENT_ID and <PROVIDER>_CLIENT_SECRET for at least one of ${KNOWN_PROVIDER_IDS.join(', ')} (e.g. STRAVA_CLIENT_ID)`,
      );
    }
    const logger = consoleLogger({ verbose: Boolean(io.env.TRAINLYTICS_DEBUG) });
    const location = parseDatabaseInput({ databaseUrl: flags.databaseUrl, env: io.env, cwd: io.cwd });
    const connectionString = location.kind === 'postgres' ? location.url : undefined;
    if (flags.queue && !connectionString) {
      throw new UserError(
        '--queue needs PostgreSQL (--database-url or DATABASE_URL): the job queue lives in that database and is shared with `trainlytics worker` processes',
      );
    }
    const queue =
      flags.queue && connectionString
        ? createSyncQueue({
            connectionString,
            // a connection lost with the database (a restart): logged; pg-boss connects again and carries on
            onError: (error) => logger.warn('job queue: database connection error', { error: error.message }),
          })
        : null;
    let plaintextWarning: string | null = null;
    const opened = await openTrainlytics({
      ...flags,
      env: io.env,
      cwd: io.cwd,
      logger,
      command: 'serve',
      streams: streamsPolicy,
      // printed once the server listens: a refused start (e.g. a port in use) stays one line
      checkEncryption: (warning) => {
        plaintextWarning = warning;
      },
      // with workers, this process's own requests (webhooks, first syncs) count against the shared limit
      ...(queue
        ? {
            enqueueSync: async (connectionId: number) => {
              await queue.enqueueSync(connectionId);
            },
            rateLimitTracker: (database) =>
              database.pool ? sharedRateLimitTracker(database.pool, io.env) : createMemoryRateLimitTracker(),
          }
        : {}),
    });
    let enqueueTimer: NodeJS.Timeout | null = null;
    try {
      await queue?.start();
      const scheduler = createScheduler({
        trainlytics: opened.trainlytics,
        intervalMs: intervalMinutes * 60_000,
        concurrency,
        rateLimitTracker: opened.rateLimitTracker,
        logger,
        streams: Boolean(flags.streams),
      });
      // a sync the rate limit deferred ("sync now", a first sync) runs again at its retryAt
      const onSyncDeferred = (deferred: DeferredSync) => {
        if (queue) {
          queue
            .enqueueSync(deferred.connectionId, { full: deferred.full, startAfter: deferred.retryAt })
            .catch((error: unknown) =>
              logger.warn('could not enqueue a deferred sync', { error: String(error) }),
            );
        } else if (flags.scheduler !== false) scheduler.defer(deferred);
        else {
          logger.warn(
            'a sync was deferred by the rate limit and scheduled sync is off: sync it again later',
            {
              connectionId: deferred.connectionId,
              retryAt: deferred.retryAt.toISOString(),
            },
          );
        }
      };
      const server = await startHostServer({
        trainlytics: opened.trainlytics,
        db: opened.database.db,
        ...signIn.auth,
        port: portNumber,
        hostname,
        logger,
        onSyncDeferred,
        ...(flags.scheduler !== false ? { syncIntervalMs: intervalMinutes * 60_000 } : {}),
        // a new connection's first (full) sync: in this process, or as a job for the workers
        syncAfterConnect: !queue,
        ...(queue
          ? {
              onConnected: (connection: Connection) => {
                queue
                  .enqueueSync(connection.id, { full: true })
                  .catch((error: unknown) =>
                    logger.warn('could not enqueue the first sync', { error: String(error) }),
                  );
              },
            }
          : {}),
        ...(baseUrl ? { baseUrl } : {}),
        ...(queue ? { deadJobs: () => queue.listDeadJobs({ limit: 20 }) } : {}),
      });
      if (flags.scheduler !== false && queue) {
        // queue mode: this process only enqueues due connections; workers sync them (one job per connection)
        // then one low-priority streams tick (workers run it only while no sync job waits)
        const tick = () =>
          enqueueDueConnections(opened.trainlytics, queue, { intervalMs: intervalMinutes * 60_000 })
            .then(() => (flags.streams ? queue.enqueueStreamsTick() : null))
            .catch((error: unknown) => logger.warn('could not enqueue due syncs', { error: String(error) }));
        void tick();
        enqueueTimer = setInterval(tick, Math.min(intervalMinutes * 60_000, QUEUE_TICK_MS));
      } else if (flags.scheduler !== false) scheduler.start();
      // listening for SIGTERM/SIGINT before saying the app is up: a supervisor that stops it as soon as it
      // reads the lines below must get the clean shutdown, not the default action of an unhandled signal
      const shutdown = waitForShutdown();
      writeLine(
        io.stdout,
        `Trainlytics host app listening on ${server.baseUrl} (${opened.database.description})`,
      );
      writeLine(io.stdout, `Dashboard: ${server.baseUrl}/dashboard`);
      writeLine(io.stdout, `Providers: ${opened.trainlytics.providerIds.join(', ')}`);
      writeLine(io.stdout, `Sign-in: ${signIn.description}`);
      if (plaintextWarning) writeLine(io.stderr, plaintextWarning);
      writeLine(
        io.stdout,
        flags.scheduler === false
          ? 'Scheduled sync is off'
          : queue
            ? `Scheduled sync: due connections enqueued every ${intervalMinutes} min for \`trainlytics worker\``
            : `Scheduled sync: every ${intervalMinutes} min, ${concurrency} at a time`,
      );
      if (flags.streams && flags.scheduler !== false) {
        writeLine(
          io.stdout,
          queue
            ? 'Activity detail backfill: enqueued on trainlytics-streams for `trainlytics worker --streams`, after summary syncs'
            : `Activity detail backfill: after each round of summary syncs, within ${100 - Math.round((streamsPolicy.reserve ?? 0.3) * 100)} % of the rate budget`,
        );
      }
      await shutdown;
      writeLine(io.stdout, 'Stopping…');
      if (enqueueTimer) clearInterval(enqueueTimer);
      await scheduler.stop();
      await server.close();
      await opened.trainlytics.webhooks.idle();
      setExitCode(0);
    } finally {
      if (enqueueTimer) clearInterval(enqueueTimer);
      await queue?.stop();
      await opened.close();
    }
  });
}
