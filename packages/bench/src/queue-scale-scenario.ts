import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createSyncQueue,
  type DueQueryable,
  enqueueDueConnections,
  SYNC_QUEUE,
  type SyncQueue,
} from '@trainlytics/cli';
import { createTrainlytics, silentLogger, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase } from '@trainlytics/core/testing';
import { strava } from '@trainlytics/provider-strava';
import type { Pool } from 'pg';
import { peakRssMiB } from './measure';
import { seedConnections } from './queue-scale-seed';

const here = path.dirname(fileURLToPath(import.meta.url));
const INTERVAL_MS = 15 * 60_000;
const TICK_MS = 60_000;

export interface TickFigure {
  /** Simulated seconds since the previous tick (the due batch grows with it). */
  tickSeconds: number;
  due: number;
  enqueued: number;
  alreadyQueued: number;
  /** The due-connection query alone. */
  queryMs: number;
  /** The whole tick: the query, the already-queued check and the batched insert into pg-boss. */
  tickMs: number;
}

export interface ThroughputFigure {
  workers: number;
  concurrency: number;
  pollingIntervalSeconds: number;
  jobs: number;
  wallMs: number;
  jobsPerSecond: number;
  /** What pg-boss 10's loop allows for jobs that take no time: workers × concurrency ÷ polling interval. */
  loopCapPerSecond: number;
}

export interface QueueScaleResult {
  scenario: 'queue-scale';
  connections: number;
  seedMs: number;
  /** EXPLAIN ANALYZE of one steady-state due query, with migration 015's index and (rolled back) without. */
  explain: { withIndexMs: number; withoutIndexMs: number; planWithIndex: string; planWithoutIndex: string };
  /**
   * Ticks with last syncs spread over the 15-minute interval: every 60 s (`serve --queue`'s period, about a
   * fifteenth due each tick), then every 15 s (a quarter of that batch).
   */
  steady: TickFigure[];
  /** The same due connections again before any worker took them (every job already waiting). */
  requeue: TickFigure;
  /** Every connection never synced (first start): ticks of at most the default limit until none is left. */
  coldStart: TickFigure[];
  throughput: ThroughputFigure[];
  peakRssMiB: number;
}

/** Times every due query a tick sends, and keeps the ids it returned (the "workers" then sync them). */
function timedQueryable(pool: Pool): DueQueryable & { lastMs: number; lastIds: number[] } {
  const timed = {
    lastMs: 0,
    lastIds: [] as number[],
    async query(text: string, values: unknown[]) {
      const started = performance.now();
      const result = await pool.query(text, values);
      timed.lastMs = performance.now() - started;
      timed.lastIds = result.rows.map((r: Record<string, unknown>) => Number(r.id));
      return result;
    },
  };
  return timed;
}

async function tick(
  trainlytics: Trainlytics,
  queue: SyncQueue,
  db: ReturnType<typeof timedQueryable>,
  now: Date,
  tickSeconds: number,
  limit?: number,
): Promise<TickFigure> {
  const started = performance.now();
  const report = await enqueueDueConnections(trainlytics, queue, {
    intervalMs: INTERVAL_MS,
    now,
    db,
    ...(limit ? { limit } : {}),
  });
  return { tickSeconds, ...report, queryMs: round(db.lastMs), tickMs: round(performance.now() - started) };
}

/** What workers would leave behind: the jobs done and the connections synced at `now`. */
async function drain(pool: Pool, ids: number[], now: Date): Promise<void> {
  await pool.query(`delete from pgboss.job where name = $1`, [SYNC_QUEUE]);
  await pool.query('update provider_connections set last_sync_at = $2 where id = any($1::int[])', [ids, now]);
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function explain(pool: Pool, cutoff: Date): Promise<{ ms: number; plan: string }> {
  const { rows } = await pool.query(
    `explain (analyze, format json) select id from provider_connections
      where is_active and not reauth_required
        and provider::text = any($1::text[])
        and coalesce(last_sync_at, '-infinity'::timestamptz) <= $2
      order by coalesce(last_sync_at, '-infinity'::timestamptz), id
      limit 10000`,
    [['strava'], cutoff],
  );
  const out = rows[0]!['QUERY PLAN'] as Array<{ Plan: PlanNode; 'Execution Time': number }>;
  const nodes: string[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node['Index Name'] ? `${node['Node Type']} on ${node['Index Name']}` : node['Node Type']);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(out[0]!.Plan);
  return { ms: round(out[0]!['Execution Time']), plan: nodes.join(' ← ') };
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function startWorker(connectionString: string, concurrency: number, pollSeconds: number) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@trainlytics/source',
      path.join(here, 'queue-worker-process.ts'),
      connectionString,
      String(concurrency),
      String(pollSeconds),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.resolve(here, '..') },
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function throughput(
  pool: Pool,
  queue: SyncQueue,
  connectionString: string,
  workers: number,
  concurrency: number,
  pollSeconds: number,
  jobs: number,
): Promise<ThroughputFigure> {
  await pool.query(`delete from pgboss.job where name = $1`, [SYNC_QUEUE]);
  const processes = Array.from({ length: workers }, () =>
    startWorker(connectionString, concurrency, pollSeconds),
  );
  try {
    await Promise.all(processes.map((p) => p.ready));
    const started = performance.now();
    // job ids need no connection rows: the no-op sync never reads one
    await queue.enqueueSyncs(Array.from({ length: jobs }, (_, i) => 1_000_000 + i));
    for (;;) {
      const { rows } = await pool.query(
        `select count(*)::int as n from pgboss.job where name = $1 and state = 'completed'`,
        [SYNC_QUEUE],
      );
      if (Number(rows[0]!.n) >= jobs) break;
      await new Promise((r) => setTimeout(r, 25)); // measuring, not synchronizing: the workers are elsewhere
    }
    const wallMs = performance.now() - started;
    return {
      workers,
      concurrency,
      pollingIntervalSeconds: pollSeconds,
      jobs,
      wallMs: round(wallMs),
      jobsPerSecond: Math.round(jobs / (wallMs / 1000)),
      loopCapPerSecond: Math.round((workers * concurrency) / pollSeconds),
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

/**
 * Queue mode at scale: `connections` Strava connections seeded set-based in a fresh database; the due query
 * explained with and without migration 015's index; the tick of `serve --queue` (`enqueueDueConnections`:
 * the query and the batched pg-boss insert) timed in the steady state, when every job is still waiting,
 * and at a cold start; then pg-boss throughput with 1, 2 and 4 `startSyncWorker` processes on a no-op sync.
 */
export async function runQueueScale(options: {
  connections: number;
  quick: boolean;
}): Promise<QueueScaleResult> {
  const { connections, quick } = options;
  const database = await createTestDatabase({ migrate: true, prefix: 'tl_bench_scale' });
  const trainlytics = createTrainlytics({
    store: postgresStore({ pool: database.pool }),
    providers: [strava({ clientId: 'bench', clientSecret: 'bench', env: {} })],
    logger: silentLogger,
  });
  const queue = createSyncQueue({
    connectionString: database.connectionString,
    maintenanceIntervalSeconds: 3_600,
  });
  const pool = database.pool;
  try {
    const t0 = new Date();
    const seedStarted = performance.now();
    await seedConnections(pool, {
      n: connections,
      now: t0,
      spreadMs: INTERVAL_MS,
    });
    const seedMs = round(performance.now() - seedStarted);
    await queue.start();

    const firstCutoff = new Date(t0.getTime() + TICK_MS - INTERVAL_MS);
    const withIndex = await explain(pool, firstCutoff);
    const client = await pool.connect();
    let withoutIndex: { ms: number; plan: string };
    try {
      await client.query('begin');
      await client.query('drop index provider_connections_due_idx');
      withoutIndex = await explain(client as never, firstCutoff);
    } finally {
      await client.query('rollback');
      client.release();
    }

    const db = timedQueryable(pool);
    const steady: TickFigure[] = [];
    let requeue: TickFigure | null = null;
    const ticks = quick ? 2 : 4;
    let now = t0;
    for (const tickMs of [TICK_MS, TICK_MS / 4]) {
      for (let i = 1; i <= ticks; i++) {
        now = new Date(now.getTime() + tickMs);
        // the whole natural batch (no limit): what the tick period alone makes of it
        steady.push(await tick(trainlytics, queue, db, now, tickMs / 1000, connections));
        const ids = db.lastIds;
        if (!requeue) requeue = await tick(trainlytics, queue, db, now, 0, connections);
        await drain(pool, ids, now);
      }
    }

    await pool.query('update provider_connections set last_sync_at = null');
    await pool.query('analyze provider_connections');
    const coldStart: TickFigure[] = [];
    // until every connection had its first job (15 s ticks: the batches come back due after 15 minutes)
    for (let total = 0; total < connections; ) {
      now = new Date(now.getTime() + TICK_MS / 4);
      const figure = await tick(trainlytics, queue, db, now, TICK_MS / 4 / 1000);
      if (figure.due === 0) throw new Error(`cold start: nothing due after ${total} of ${connections}`);
      total += figure.enqueued;
      coldStart.push(figure);
      await drain(pool, db.lastIds, now);
    }

    const throughputs: ThroughputFigure[] = [];
    // `trainlytics worker`'s defaults (2 at once, polling every 2 s), then tuned (16 at once, every 0.5 s)
    for (const [concurrency, poll, secondsOfWork] of [
      [2, 2, quick ? 4 : 10],
      [16, 0.5, quick ? 2 : 6],
    ] as const) {
      for (const workers of [1, 2, 4]) {
        const jobs = Math.round((workers * concurrency * secondsOfWork) / poll);
        throughputs.push(
          await throughput(pool, queue, database.connectionString, workers, concurrency, poll, jobs),
        );
      }
    }

    return {
      scenario: 'queue-scale',
      connections,
      seedMs,
      explain: {
        withIndexMs: withIndex.ms,
        withoutIndexMs: withoutIndex.ms,
        planWithIndex: withIndex.plan,
        planWithoutIndex: withoutIndex.plan,
      },
      steady,
      requeue: requeue!,
      coldStart,
      throughput: throughputs,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await queue.stop();
    await trainlytics.close();
    await database.drop();
  }
}
