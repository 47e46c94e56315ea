import {
  type Clock,
  type Connection,
  type Logger,
  type RateLimitTracker,
  type StreamsTickReport,
  SyncInProgressError,
  type SyncResult,
  silentLogger,
  systemClock,
  type Trainlytics,
} from '@trainlytics/core';
import { runConcurrently } from './run-concurrently';

export interface SchedulerOptions {
  trainlytics: Trainlytics;
  /** A connection is due when its last sync is older than this (default 15 minutes). */
  intervalMs?: number;
  /** Syncs running at once (default 2). */
  concurrency?: number;
  /** The app's rate-limit tracker (the one given to `createTrainlytics`): providers it blocks are skipped. */
  rateLimitTracker?: RateLimitTracker;
  clock?: Clock;
  logger?: Logger;
  /** How often `start()` looks for due connections (default: a quarter of the interval, at most a minute). */
  pollMs?: number;
  /**
   * The longest a scheduled sync waits for a provider's rate-limit window (default 60 s). Beyond it the
   * sync ends `deferred` (pages committed) and the scheduler runs it again at its `retryAt`, so a window
   * (Strava's quarter hour) never holds a connection's lease, nor a slot of the scheduler, for minutes.
   */
  maxRateLimitWaitMs?: number;
  /**
   * Backfill activity streams after the due summary syncs of each tick (`trainlytics.streams.tick`, within
   * the `streams` policy given to `createTrainlytics`; ADR 0032). Default false.
   */
  streams?: boolean;
}

export interface TickReport {
  /** Connections that were due. */
  due: number;
  results: SyncResult[];
  /** Connections not synced this time, and why. */
  skipped: { connectionId: number; reason: 'rate-limited' | 'in-progress' | 'backoff' }[];
  errors: { connectionId: number; message: string }[];
  /** The streams backfill of this tick (with `streams: true`), run after the summary syncs. */
  streams?: StreamsTickReport;
}

export interface Scheduler {
  /** One pass: syncs every due connection (at most `concurrency` at once) and reports what happened. */
  tick(): Promise<TickReport>;
  /**
   * Runs the connection's sync again at `retryAt` (the first tick at or after it), even when its last sync
   * is recent: a sync that a rate limit deferred elsewhere (the host app's "sync now").
   */
  defer(deferred: { connectionId: number; retryAt: Date; full?: boolean }): void;
  /** Ticks every `pollMs` until `stop()`. */
  start(): void;
  /** Stops polling and waits for the running tick. */
  stop(): Promise<void>;
}

/**
 * Scheduled sync. The schedule lives in the database: a connection is due when it is active, does not need
 * re-authorization and its `last_sync_at` is older than the interval (never-synced first, then the
 * oldest), so a restart picks up where the last process left. `sync(id, { ifLocked: 'skip' })` makes sure a
 * connection is never synced twice at once, even by another process; a provider whose rate limit is used
 * up (or that answered 429) is left alone until its window resets, and a connection whose sync failed is
 * retried one interval later. A sync that a rate limit deferred (it would have waited longer than
 * `maxRateLimitWaitMs`) is run again at its `retryAt`, as is one handed over with `defer()`.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { trainlytics } = options;
  const intervalMs = options.intervalMs ?? 15 * 60_000;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const pollMs = options.pollMs ?? Math.min(60_000, Math.max(1_000, Math.floor(intervalMs / 4)));
  /** Providers to leave alone until then, learnt from RateLimitError results in this process. */
  const blockedUntil = new Map<string, Date>();
  /**
   * Connections whose last scheduled sync failed, and when to try again (`last_sync_at` only moves on
   * success, so without this a failing connection would be retried at every poll).
   */
  const retryAfter = new Map<number, Date>();
  /** Deferred syncs to run again once their `retryAfter` time has come, due or not (and whether full). */
  const deferredRuns = new Map<number, { full: boolean }>();
  const maxRateLimitWaitMs = options.maxRateLimitWaitMs ?? 60_000;
  const defer = (connectionId: number, retryAt: Date, full: boolean) => {
    const earlier = deferredRuns.get(connectionId);
    deferredRuns.set(connectionId, { full: full || Boolean(earlier?.full) });
    retryAfter.set(connectionId, retryAt);
  };
  let running: Promise<TickReport> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;

  const isRateLimited = (provider: string, now: Date): boolean => {
    const local = blockedUntil.get(provider);
    if (local && local > now) return true;
    const state = options.rateLimitTracker?.snapshot(provider);
    if (!state) return false;
    if (state.blockedUntil && state.blockedUntil > now) return true;
    return state.snapshots.some((s) =>
      s.windows.some((w) => w.used >= w.limit && (w.resetsAt === null || w.resetsAt > now)),
    );
  };

  const dueConnections = async (now: Date): Promise<Connection[]> => {
    const connections = await trainlytics.connections.list({ active: true });
    return connections
      .filter((c) => c.status === 'active' && trainlytics.providerIds.includes(c.provider))
      .filter(
        (c) =>
          !c.lastSyncAt || now.getTime() - c.lastSyncAt.getTime() >= intervalMs || deferredRuns.has(c.id),
      )
      .sort((a, b) => (a.lastSyncAt?.getTime() ?? -Infinity) - (b.lastSyncAt?.getTime() ?? -Infinity));
  };

  const runTick = async (): Promise<TickReport> => {
    const now = clock.now();
    const due = await dueConnections(now);
    const report: TickReport = { due: due.length, results: [], skipped: [], errors: [] };
    await runConcurrently(due, concurrency, async (connection) => {
      const retry = retryAfter.get(connection.id);
      if (retry && retry > clock.now()) {
        report.skipped.push({ connectionId: connection.id, reason: 'backoff' });
        return;
      }
      if (isRateLimited(connection.provider, clock.now())) {
        report.skipped.push({ connectionId: connection.id, reason: 'rate-limited' });
        return;
      }
      try {
        const full = deferredRuns.get(connection.id)?.full ?? false;
        const result = await trainlytics.sync(connection.id, { full, ifLocked: 'skip', maxRateLimitWaitMs });
        report.results.push(result);
        deferredRuns.delete(connection.id);
        if (result.status === 'success') retryAfter.delete(connection.id);
        else if (result.status === 'deferred' && result.retryAt) {
          // run it again when the window resets; until then leave the provider alone
          defer(connection.id, result.retryAt, full);
          blockedUntil.set(connection.provider, result.retryAt);
          // (a rate limit, or the whole app suspended at the provider: AppSuspendedError)
          logger.info('scheduled sync deferred', {
            connectionId: connection.id,
            provider: connection.provider,
            reason: result.errorName,
            retryAt: result.retryAt.toISOString(),
          });
        } else retryAfter.set(connection.id, new Date(clock.now().getTime() + intervalMs));
        if (result.status === 'failed') {
          logger.warn('scheduled sync failed', {
            connectionId: connection.id,
            provider: connection.provider,
            error: result.errorName,
            message: result.errorMessage,
          });
        }
        if (result.status !== 'deferred' && result.errorName === 'RateLimitError') {
          // The tracker knows when the window resets; until it says otherwise, skip the provider for a poll.
          blockedUntil.set(connection.provider, new Date(clock.now().getTime() + pollMs));
        }
      } catch (error) {
        if (SyncInProgressError.isInstance(error)) {
          report.skipped.push({ connectionId: connection.id, reason: 'in-progress' });
        } else {
          const message = error instanceof Error ? error.message : String(error);
          report.errors.push({ connectionId: connection.id, message });
          logger.error('scheduled sync could not run', { connectionId: connection.id, message });
        }
      }
    });
    if (options.streams) {
      // the summary syncs' report stands whatever happens to the backfill (a database error: next tick)
      report.streams = await backfillStreams(report, due).catch((error: unknown) => {
        logger.error('streams backfill could not run', { message: String(error) });
        return undefined;
      });
    }
    return report;
  };

  /**
   * After the summary syncs: the streams backlog, except for providers whose summary sync is still due
   * (skipped because another process runs it or the rate limit holds it, or deferred by the rate limit).
   */
  const backfillStreams = async (report: TickReport, due: Connection[]): Promise<StreamsTickReport> => {
    const provider = new Map(due.map((c) => [c.id, c.provider]));
    const stillDue = new Set<string>();
    for (const skip of report.skipped)
      if (skip.reason !== 'backoff') stillDue.add(provider.get(skip.connectionId) ?? '');
    for (const result of report.results)
      if (result.status === 'deferred') stillDue.add(provider.get(result.connectionId) ?? '');
    const streams = await trainlytics.streams.tick({ isSummaryDue: (id) => stillDue.has(id) });
    if (streams.failed > 0) {
      logger.warn('streams backfill: some activities failed (they stay in the backlog)', {
        failed: streams.failed,
        first: streams.errors[0]?.message,
      });
    }
    return streams;
  };

  const scheduler: Scheduler = {
    tick() {
      // Never two ticks at once: a tick that is asked for while one runs joins it.
      running ??= runTick().finally(() => {
        running = null;
      });
      return running;
    },
    defer({ connectionId, retryAt, full }) {
      defer(connectionId, retryAt, Boolean(full));
    },
    start() {
      if (!stopped) return;
      stopped = false;
      const loop = () => {
        if (stopped) return;
        scheduler
          .tick()
          .catch((error) => logger.error('scheduler tick failed', { message: String(error) }))
          .finally(() => {
            if (!stopped) timer = setTimeout(loop, pollMs);
          });
      };
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => {});
    },
  };
  return scheduler;
}
