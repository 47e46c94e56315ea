import { tmpdir } from 'node:os';
import { silentLogger } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { type PrivatePostgres, startPrivatePostgres } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSyncQueue, type SyncQueue, withLeaseRecovery } from '../src/worker';
import { type CliProcess, runCli, startCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

/** With a key the commands print no plaintext warning, so stderr holds only what each test looks for. */
const ENCRYPTION_KEY = 'ab'.repeat(32);

/**
 * Every long-lived command keeps working across a PostgreSQL restart (`pg_ctl stop -m fast`: every
 * session is terminated with 57P01, then the server starts again). Each command runs as a real subprocess
 * against a private cluster (the shared server on 5432 is never stopped), and after the restart it must
 * do its work again: a worker runs a newly enqueued job, `serve`'s scheduler syncs a due connection,
 * `serve --queue` enqueues a sync for a webhook and lists dead jobs.
 */

let cluster: PrivatePostgres;
let sandbox: StravaSandbox;
let admin: pg.Pool;
let athletes = 0;
const running: CliProcess[] = [];

beforeAll(async () => {
  cluster = await startPrivatePostgres();
  admin = new pg.Pool({ connectionString: cluster.connectionString, max: 2 });
  admin.on('error', () => {});
  sandbox = await startStravaSandbox();
});

afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

afterAll(async () => {
  await sandbox?.close();
  await admin?.end().catch(() => {});
  cluster?.destroy();
});

/** A fresh migrated database on the private cluster, a pool on it, and a way to add connections. */
async function freshDatabase(name: string) {
  await admin.query(`create database ${name}`);
  const url = cluster.connectionString.replace(/\/postgres$/, `/${name}`);
  const migrated = await runCli(['migrate', 'up', '--database-url', url], { cwd: tmpdir() });
  expect(migrated.code).toBe(0);
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  // the restart terminates the test's own idle clients too
  pool.on('error', () => {});
  const store = postgresStore({ pool });
  return {
    url,
    pool,
    /** A Strava connection whose tokens the sandbox accepts, never synced (so due at once). */
    async addConnection(): Promise<number> {
      const i = ++athletes;
      const { rows } = await pool.query<{ id: number }>(
        'insert into users (email) values ($1) returning id',
        [`restart${i}@example.test`],
      );
      const expiresAt = new Date(Date.now() + 6 * 3_600_000);
      const tokens = { accessToken: `restart-access-${i}`, refreshToken: `restart-refresh-${i}` };
      const { providerUserId } = await sandbox.registerAthlete({
        athleteId: 70_000_000 + i,
        activityCount: 3,
        ...tokens,
        expiresAt,
      });
      const connection = await store.upsertConnection(
        {
          userId: rows[0]!.id,
          provider: 'strava',
          providerUserId,
          ...tokens,
          tokenExpiresAt: expiresAt,
          refreshTokenExpiresAt: null,
          scopes: ['read', 'activity:read_all'],
          providerProfile: {},
        },
        new Date(),
      );
      return connection.id;
    },
    /** Resolves once the connection has a successful sync (each look is one real query). */
    async synced(connectionId: number): Promise<void> {
      await until(`connection ${connectionId} synced`, async () => {
        const { rows } = await pool
          .query(`select 1 from sync_history where connection_id = $1 and sync_status = 'success'`, [
            connectionId,
          ])
          .catch(() => ({ rows: [] }));
        return rows.length > 0;
      });
    },
  };
}

/** Waits for a condition of the subprocess's work (no assertion on how long it takes). */
async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops and starts the cluster, then waits until the test's own pool has dropped its dead clients. */
async function restart(pool: pg.Pool) {
  cluster.stop();
  cluster.start();
  await reconnected(pool);
}

async function reconnected(pool: pg.Pool) {
  await until('the test pool reconnected', () =>
    pool.query('select 1').then(
      () => true,
      () => false,
    ),
  );
}

function alive(p: CliProcess) {
  expect(p.child.exitCode, `exited: ${p.output().stderr}`).toBeNull();
  expect(p.child.signalCode).toBeNull();
}

describe('a PostgreSQL restart', () => {
  it('trainlytics worker keeps running and processes a job enqueued after the restart', async () => {
    const db = await freshDatabase('restart_worker');
    const before = await db.addConnection();
    const after = await db.addConnection();
    const worker = startCli(['worker', '--json', '--poll-interval', '0.5', '--maintenance-interval', '1'], {
      cwd: tmpdir(),
      env: { ...stravaEnv(sandbox), DATABASE_URL: db.url, TRAINLYTICS_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
    running.push(worker);
    await worker.waitFor(/"event":"ready"/);
    const queue: SyncQueue = createSyncQueue({ connectionString: db.url, onError: () => {} });
    try {
      await queue.start();
      await queue.enqueueSync(before);
      await worker.waitFor(new RegExp(`"event":"finished".*"connectionId":${before}[,}]`));

      await restart(db.pool);

      alive(worker);
      // the queue's own pool reconnects as well: enqueueing may need a retry while it notices
      await until('the job enqueued after the restart', () => queue.enqueueSync(after).catch(() => false));
      await worker.waitFor(new RegExp(`"event":"finished".*"connectionId":${after}[,}]`));
      await db.synced(after);
      alive(worker);
    } finally {
      await queue.stop();
      await db.pool.end();
    }
    const stopped = await worker.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toMatch(/Unhandled|57P01/);
  });

  it('trainlytics serve keeps serving and its scheduler syncs a connection that became due after the restart', async () => {
    const db = await freshDatabase('restart_serve');
    const first = await db.addConnection();
    const server = startCli(['serve', '--port', '0', '--sync-interval', '1'], {
      cwd: tmpdir(),
      env: { ...stravaEnv(sandbox), DATABASE_URL: db.url, TRAINLYTICS_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
    running.push(server);
    const [, baseUrl] = await server.waitFor(/^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard$/m);
    await db.synced(first);

    await restart(db.pool);

    alive(server);
    const second = await db.addConnection();
    await db.synced(second);
    // its pool answers again (the first request after the restart may still meet a dropped client)
    await until('the dashboard answering', async () => (await fetch(`${baseUrl}/dashboard`)).status === 200);
    alive(server);
    await db.pool.end();
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
  });

  it('trainlytics serve --queue keeps enqueueing (a webhook after the restart) and listing dead jobs', async () => {
    const db = await freshDatabase('restart_serve_queue');
    const connectionId = await db.addConnection();
    const jobs = async () =>
      (
        await db.pool
          .query<{ n: string }>(
            `select count(*) as n from pgboss.job where name = 'trainlytics-sync' and (data ->> 'connectionId')::int = $1`,
            [connectionId],
          )
          .catch(() => ({ rows: [{ n: '0' }] }))
      ).rows[0]!.n;
    const server = startCli(['serve', '--port', '0', '--queue'], {
      cwd: tmpdir(),
      env: { ...stravaEnv(sandbox), DATABASE_URL: db.url, TRAINLYTICS_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
    running.push(server);
    const [, baseUrl] = await server.waitFor(/^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard$/m);
    // the first tick enqueues the due connection; forget that job so the next one must come from the webhook
    await until('the due connection enqueued', async () => (await jobs()) === '1');
    await db.pool.query(`delete from pgboss.job where name = 'trainlytics-sync'`);

    await restart(db.pool);

    alive(server);
    const { rows } = await db.pool.query<{ provider_user_id: string }>(
      'select provider_user_id from provider_connections where id = $1',
      [connectionId],
    );
    const [activityId] = await sandbox.addActivities(rows[0]!.provider_user_id, 1);
    await until('the webhook accepted', async () => {
      const status = await sandbox.sendWebhook(
        {
          type: 'activity.created',
          providerUserId: rows[0]!.provider_user_id,
          providerActivityId: activityId!,
        },
        `${baseUrl}/webhooks/strava`,
      );
      return status?.status === 200;
    });
    await until('the webhook enqueued a sync', async () => (await jobs()) === '1');
    const dead = await until('the dead-job list answering', async () => {
      const response = await fetch(`${baseUrl}/api/dead-jobs`);
      return response.status === 200 && ((await response.json()) as { queue: boolean });
    });
    expect(dead).toEqual({ queue: true, deadJobs: [] });
    alive(server);
    await db.pool.end();
    const stopped = await server.stop();
    expect(stopped.code).toBe(0);
  });
});

describe('sync --json with the database stopped mid-run', () => {
  it.each([
    ['one connection', false],
    ['--all', true],
  ])('still prints exactly one JSON value (%s), then one line on stderr', async (_name, all) => {
    const db = await freshDatabase(all ? 'stopped_json_all' : 'stopped_json_one');
    const id = await db.addConnection();
    // the sync is stuck in a request to Strava when PostgreSQL goes away
    sandbox.setFaults({ latencyMs: 3_000 });
    let stopped = false;
    try {
      const sync = startCli(['sync', ...(all ? ['--all'] : [String(id)]), '--full', '--json'], {
        cwd: tmpdir(),
        env: { ...stravaEnv(sandbox), DATABASE_URL: db.url, TRAINLYTICS_ENCRYPTION_KEY: ENCRYPTION_KEY },
      });
      running.push(sync);
      await until('the sync running', async () => {
        const { rows } = await db.pool.query(
          `select 1 from sync_history where connection_id = $1 and sync_status = 'running'`,
          [id],
        );
        return rows.length > 0;
      });
      cluster.stop();
      stopped = true;
      const exited = await new Promise<number | null>((resolve) => {
        if (sync.child.exitCode !== null) resolve(sync.child.exitCode);
        else sync.child.once('exit', (code) => resolve(code));
      });
      const { stdout, stderr } = sync.output();
      expect(exited).toBe(1);
      const printed = JSON.parse(stdout);
      const object = all ? printed[0] : printed;
      if (all) expect(printed).toHaveLength(1);
      expect(object).toMatchObject({ status: 'failed', errorMessage: expect.any(String) });
      expect(object.errorMessage).not.toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      sandbox.resetFaults();
      if (stopped) cluster.start();
      await reconnected(db.pool);
      await db.pool.end();
    }
  });
});

describe("the worker's lease-recovery session", () => {
  it('is opened again after a restart and takes the locks of the leases still held back', async () => {
    const db = await freshDatabase('restart_recovery');
    const workerPool = new pg.Pool({ connectionString: db.url, max: 3 });
    workerPool.on('error', () => {});
    const otherPool = new pg.Pool({ connectionString: db.url, max: 2 });
    otherPool.on('error', () => {});
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
    const mine = await withLeaseRecovery(postgresStore({ pool: workerPool }), workerPool, {
      logger,
      reconnectDelayMs: 100,
    });
    const other = await withLeaseRecovery(postgresStore({ pool: otherPool }), otherPool, {
      logger: silentLogger,
    });
    const locks = async () =>
      Number(
        (
          await db.pool.query<{ n: string }>(
            `select count(*) as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
              where l.locktype = 'advisory' and a.application_name = 'trainlytics-worker'`,
          )
        ).rows[0]!.n,
      );
    try {
      const now = new Date();
      const later = new Date(now.getTime() + 60_000);
      expect(await mine.store.acquireLease('sync:1', 'worker-a #1.1', later, now)).toBe(true);
      expect(await locks()).toBe(1);

      await restart(db.pool);

      // the session comes back by itself and locks the lease it still holds
      await until('the lock taken again', async () => (await locks().catch(() => 0)) === 1);
      expect(warnings).toContain('lost the worker session to PostgreSQL; opening it again');
      // so another worker does not take a live lease over
      await reconnected(otherPool);
      expect(await other.store.acquireLease('sync:1', 'worker-b #2.2', later, now)).toBe(false);
      expect(other.takenOver).toBe(0);
      await mine.store.releaseLease('sync:1', 'worker-a #1.1');
      expect(await locks()).toBe(0);
    } finally {
      await mine.close();
      await other.close();
      await workerPool.end();
      await otherPool.end();
      await db.pool.end();
    }
  });
});
