import { hostname, tmpdir } from 'node:os';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

/**
 * `kill -9` of a `trainlytics sync` in the middle of its run: its lease stops being renewed, so the next
 * `trainlytics sync` of the connection waits at most one lease TTL (15 s) instead of five minutes, says on
 * stderr whom it waits for, and closes the killed run's `running` row as failed.
 */

let database: TestDatabase;
let sandbox: StravaSandbox;
let env: Record<string, string>;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_cli_lease' });
  sandbox = await startStravaSandbox();
  // with a key no plaintext warning is printed: stderr holds only the waiting notice
  env = {
    ...stravaEnv(sandbox),
    DATABASE_URL: database.connectionString,
    TRAINLYTICS_ENCRYPTION_KEY: 'ab'.repeat(32),
  };
});

afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

async function addConnection(): Promise<number> {
  const { rows } = await database.pool.query<{ id: number }>(
    `insert into users (email) values ('killed@example.test') returning id`,
  );
  const expiresAt = new Date(Date.now() + 6 * 3_600_000);
  const tokens = { accessToken: 'kill-access', refreshToken: 'kill-refresh' };
  const { providerUserId } = await sandbox.registerAthlete({
    athleteId: 80_000_001,
    activityCount: 5,
    ...tokens,
    expiresAt,
  });
  const connection = await postgresStore({ pool: database.pool }).upsertConnection(
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
}

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a killed trainlytics sync', () => {
  it('blocks the next sync for seconds, not minutes, and the next one says what it waits for', async () => {
    const id = await addConnection();
    // the killed sync is stuck in its first request to Strava
    sandbox.setFaults({ latencyMs: 60_000 });
    const victim = startCli(['sync', String(id), '--full'], { cwd: tmpdir(), env });
    const stale = await until('the victim syncing', async () => {
      const { rows } = await database.pool.query<{ id: number }>(
        `select id from sync_history where connection_id = $1 and sync_status = 'running'`,
        [id],
      );
      return rows[0]?.id;
    });
    victim.child.kill('SIGKILL');
    await victim.stop();
    sandbox.resetFaults();

    const started = Date.now();
    const next = await runCli(['sync', String(id), '--json'], { cwd: tmpdir(), env });
    const elapsedMs = Date.now() - started;
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ status: 'success', activitiesCreated: 5 });
    // one notice on stderr naming the killed holder; nothing but the object on stdout
    const notice = new RegExp(
      `^Waiting for connection ${id}'s sync, held by trainlytics sync \\(pid ${victim.child.pid} on ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) — lease expires in (\\d+) s unless renewed$`,
    );
    const lines = next.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    const match = notice.exec(lines[0]!);
    expect(match, next.stderr).not.toBeNull();
    expect(Number(match![1])).toBeLessThanOrEqual(15);
    // a generous bound (the old lease made it wait about 300 s): the wait is one lease TTL at most
    expect(elapsedMs).toBeLessThan(60_000);
    process.stdout.write(`next sync after kill -9 finished in ${elapsedMs} ms\n`);

    const { rows } = await database.pool.query(
      'select sync_status, error_message from sync_history where id = $1',
      [stale],
    );
    expect(rows[0]).toEqual({
      sync_status: 'failed',
      error_message: expect.stringMatching(
        /the process running this sync stopped before it finished \(its lease expired\)/,
      ),
    });
  });
});
