import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUser } from '../src/app/users';
import { PLAINTEXT_WARNING } from '../src/encryption-check';
import { openTrainlytics } from '../src/open-trainlytics';
import { connectAccount } from './helpers/connect';
import { runCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

/** A user error is one line on stderr, with no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('help and usage errors', () => {
  it.each([
    [['--help'], /Usage: trainlytics/],
    [['migrate', '--help'], /Usage: trainlytics migrate <command>/],
    [['connections', 'list', '--help'], /Usage: trainlytics connections list/],
    [['sync', '--help'], /--concurrency <n>/],
    [['serve', '--help'], /--port <n>/],
    [['demo', '--help'], /--headless/],
    [['worker', '--help'], /Usage: trainlytics worker/],
    [['serve', '--help'], /--queue/],
  ])('trainlytics %j prints its help and exits 0', async (args, pattern) => {
    const run = await runCli(args, { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(pattern);
  });

  it('refuses an unknown command with one line', async () => {
    const run = await runCli(['frobnicate'], { cwd });
    expect(run.code).toBe(2);
    expectOneLineError(run.stderr, /unknown command 'frobnicate'/);
  });

  it('refuses serve --queue without PostgreSQL', async () => {
    const run = await runCli(['serve', '--queue'], {
      cwd,
      env: { STRAVA_CLIENT_ID: '1', STRAVA_CLIENT_SECRET: 's', DATABASE_URL: '' },
    });
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /--queue needs PostgreSQL/);
  });

  it('refuses an unknown provider', async () => {
    const run = await runCli(['connections', 'list', '--provider', 'wahoo'], { cwd });
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /Unknown provider "wahoo": expected one of strava, garmin, polar/);
  });

  it('refuses a connection id that is not a number', async () => {
    const run = await runCli(['sync', 'abc'], { cwd });
    expect(run.code).toBe(2);
    expectOneLineError(run.stderr, /connection id must be a positive integer up to 2147483647, got "abc"/);
  });

  it.each([
    [['sync', '2147483648']],
    [['sync', '0']],
    [['sync', '-1', '--json']],
    [['sync', '99999999999999999999', '--json']],
    [['connections', 'list', '--user', '2147483648']],
    [['connections', 'list', '--user', '1.5', '--json']],
  ])('refuses the id in %j as an input error (exit 2) before asking the database', async (args) => {
    // an unreachable database: the id is refused before anything is opened
    const run = await runCli(args, { cwd, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' } });
    expect(run.code).toBe(2);
    expectOneLineError(
      run.stderr,
      /^trainlytics: (connection id|--user) must be a positive integer up to 2147483647, got "/,
    );
    if (args[0] === 'sync' && args.includes('--json')) {
      expect(JSON.parse(run.stdout)).toEqual({
        syncId: null,
        status: 'failed',
        activitiesCreated: 0,
        activitiesUpdated: 0,
        requests: 0,
        errorMessage: expect.stringMatching(/^connection id must be a positive integer/),
      });
    }
  });

  it('sync --json prints one object (an array with --all) when the database cannot be reached', async () => {
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    const one = await runCli(['sync', '1', '--json'], { cwd, env });
    expect(one.code).toBe(1);
    expectOneLineError(one.stderr, /Cannot reach the database at 127\.0\.0\.1:1\/nowhere/);
    expect(JSON.parse(one.stdout)).toMatchObject({
      syncId: null,
      status: 'failed',
      errorMessage: expect.stringMatching(/^Cannot reach the database/),
    });
    const all = await runCli(['sync', '--all', '--json'], { cwd, env });
    expect(all.code).toBe(1);
    const results = JSON.parse(all.stdout);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ syncId: null, status: 'failed' });
  });

  it('says when the database cannot be reached', async () => {
    const run = await runCli(
      ['connections', 'list', '--database-url', 'postgres://postgres@127.0.0.1:1/nowhere'],
      {
        cwd,
      },
    );
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /Cannot reach the database at 127\.0\.0\.1:1\/nowhere: ECONNREFUSED/);
  });

  it('says when the database URL is not a PostgreSQL URL', async () => {
    const run = await runCli(['sync', '1'], { cwd, env: { DATABASE_URL: 'mysql://root:secret@db/app' } });
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /Invalid database URL/);
    expect(run.stderr).not.toContain('secret');
  });

  it('serve refuses to start without any provider credentials', async () => {
    const run = await runCli(['serve', '--port', '0'], { cwd });
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /No provider credentials: set <PROVIDER>_CLIENT_ID/);
  });
});

describe('the embedded PGlite database (./.trainlytics/db)', () => {
  it('asks for migrations first, then migrates and lists connections', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'trainlytics-pglite-'));
    try {
      const before = await runCli(['connections', 'list'], { cwd: dir });
      expect(before.code).toBe(1);
      expectOneLineError(before.stderr, /has no Trainlytics schema yet: run `trainlytics migrate up` first/);

      const up = await runCli(['migrate', 'up'], { cwd: dir });
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/002_multi_provider/);

      const status = await runCli(['migrate', 'status', '--json'], { cwd: dir });
      expect(status.code).toBe(0);
      const rows = JSON.parse(status.stdout) as { state: string }[];
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.every((r) => r.state === 'applied')).toBe(true);

      const list = await runCli(['connections', 'list', '--json'], { cwd: dir });
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('against PostgreSQL, with a Strava sandbox', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sandbox: StravaSandbox;
  let env: Record<string, string>;
  let connectionId: number;
  let userId: number;
  const ACTIVITIES = 45;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'tl_cli' });
    sandbox = await startStravaSandbox();
    env = { DATABASE_URL: database.connectionString, ...stravaEnv(sandbox) };
    const up = await runCli(['migrate', 'up'], { cwd, env });
    expect(up.code).toBe(0);
    const { providerUserId } = await sandbox.seedAccount({ activityCount: ACTIVITIES, seed: 7 });
    const opened = await openTrainlytics({ env, cwd, providers: [sandbox.createProvider()] });
    try {
      userId = (await ensureUser(opened.database.db, { email: 'cli@example.com' })).id;
      connectionId = (await connectAccount(opened.trainlytics, 'strava', sandbox, { userId, providerUserId }))
        .id;
    } finally {
      await opened.close();
    }
  });
  afterAll(async () => {
    await sandbox?.close();
    await database?.drop();
  });

  it('lists the connection without its tokens', async () => {
    const run = await runCli(['connections', 'list', '--json', '--user', String(userId)], { cwd, env });
    expect(run.code).toBe(0);
    const list = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: connectionId, userId, provider: 'strava', status: 'active' });
    expect(run.stdout).not.toMatch(/token/i);

    const table = await runCli(['connections', 'list'], { cwd, env });
    expect(table.stdout).toMatch(/^id\s+user\s+provider/m);
    expect(table.stdout).toContain('strava');
  });

  it('syncs with --json: one object, then an incremental sync finds nothing new', async () => {
    const full = await runCli(['sync', String(connectionId), '--full', '--json'], { cwd, env });
    // no TRAINLYTICS_ENCRYPTION_KEY here: the one line on stderr is the plaintext warning
    expect(full.stderr).toBe(`${PLAINTEXT_WARNING}\n`);
    expect(full.code).toBe(0);
    const result = JSON.parse(full.stdout);
    expect(Object.keys(result).sort()).toEqual(
      ['activitiesCreated', 'activitiesUpdated', 'errorMessage', 'requests', 'status', 'syncId'].sort(),
    );
    expect(result).toMatchObject({ status: 'success', activitiesCreated: ACTIVITIES, errorMessage: null });
    expect(result.requests).toBeGreaterThan(0);

    const again = await runCli(['sync', String(connectionId), '--json'], { cwd, env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'success', activitiesCreated: 0 });
    expect(JSON.parse(again.stdout).syncId).toBeGreaterThan(result.syncId);
  });

  it('lists each connection’s activity detail backlog and how long it takes under the rate budget', async () => {
    const client = new pg.Client({ connectionString: database.connectionString });
    await client.connect();
    const counts = await client
      .query<{ all: number; runs: number }>(
        `select count(*)::int as all, (count(*) filter (where sport_type = 'run'))::int as runs
           from activities where connection_id = $1`,
        [connectionId],
      )
      .finally(() => client.end());
    const { all, runs } = counts.rows[0]!;
    expect(all).toBe(ACTIVITIES);
    const run = await runCli(['connections', 'list', '--json'], { cwd, env });
    expect(run.code).toBe(0);
    // Strava's documented defaults (nothing reported yet in this process): 100 per 15 min and 1,000 a day;
    // the day binds, less the 30 % reserve: 700 requests a day for two requests an activity
    const [listed] = JSON.parse(run.stdout) as Array<{ streamsBacklog: Record<string, number> }>;
    expect(listed!.streamsBacklog).toEqual({
      remaining: ACTIVITIES,
      requests: 2 * ACTIVITIES,
      requestsPerDay: 700,
      estimatedMs: Math.round(((2 * ACTIVITIES) / 700) * 86_400_000),
    });
    const runsOnly = await runCli(
      ['connections', 'list', '--json', '--streams-sports', 'run', '--streams-reserve', '50'],
      { cwd, env },
    );
    expect(JSON.parse(runsOnly.stdout)[0].streamsBacklog).toMatchObject({
      remaining: runs,
      requestsPerDay: 500,
    });
    const table = await runCli(['connections', 'list'], { cwd, env });
    expect(table.stdout).toMatch(/detail backlog/);
    const hours = Math.round((2 * ACTIVITIES * 24) / 700);
    expect(table.stdout).toContain(`${ACTIVITIES} activities, about ${hours} hours`);
  });

  it('prints a readable line without --json and syncs --all', async () => {
    const one = await runCli(['sync', String(connectionId)], { cwd, env });
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(
      new RegExp(`^Synced Strava connection ${connectionId} \\(sync \\d+\\): 0 created`),
    );

    const all = await runCli(['sync', '--all', '--concurrency', '2', '--json'], { cwd, env });
    expect(all.code).toBe(0);
    const results = JSON.parse(all.stdout) as { status: string }[];
    expect(results).toHaveLength(1);
    // each item says which connection it is about
    expect(results[0]).toMatchObject({ connectionId, provider: 'strava', status: 'success' });
  });

  it('refuses an unknown connection id', async () => {
    const run = await runCli(['sync', '99999'], { cwd, env });
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /Unknown connection id 99999: see `trainlytics connections list`/);
  });

  it('names the missing credentials', async () => {
    const run = await runCli(['sync', String(connectionId)], {
      cwd,
      env: { DATABASE_URL: database.connectionString },
    });
    expect(run.code).toBe(1);
    expectOneLineError(
      run.stderr,
      /Missing Strava credentials .*set STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET/,
    );
  });

  it('refuses an invalid encryption key with one line', async () => {
    const run = await runCli(['sync', String(connectionId)], {
      cwd,
      env: { ...env, TRAINLYTICS_ENCRYPTION_KEY: 'not-a-key' },
    });
    expect(run.code).toBe(1);
    expectOneLineError(run.stderr, /^trainlytics: TRAINLYTICS_ENCRYPTION_KEY must be 32 bytes/);
  });

  it('exits non-zero when the sync fails, with the reason in the JSON', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 3, seed: 8 });
    const opened = await openTrainlytics({ env, cwd, providers: [sandbox.createProvider()] });
    let failingId: number;
    try {
      const other = await ensureUser(opened.database.db, { email: 'revoked@example.com' });
      failingId = (
        await connectAccount(opened.trainlytics, 'strava', sandbox, { userId: other.id, providerUserId })
      ).id;
    } finally {
      await opened.close();
    }
    await sandbox.expireAccessTokens(providerUserId);
    sandbox.setFaults({ rejectRefresh: true });
    try {
      const run = await runCli(['sync', String(failingId), '--json'], { cwd, env });
      expect(run.code).toBe(1);
      const result = JSON.parse(run.stdout);
      expect(result.status).toBe('failed');
      expect(result.errorMessage).toEqual(expect.any(String));
      // a refused refresh needs the user: the listing says so, and how to repair it
      const listed = await runCli(['connections', 'list', '--json'], { cwd, env });
      expect(JSON.parse(listed.stdout)).toContainEqual(
        expect.objectContaining({ id: failingId, status: 'reauth_required' }),
      );
      const table = await runCli(['connections', 'list'], { cwd, env });
      expect(table.stdout).toMatch(new RegExp(`^\\s*${failingId} .*reauth_required`, 'm'));
      expect(table.stdout).toMatch(
        new RegExp(
          `^Connection ${failingId} \\(strava\\) needs re-authorization: .*GET /connect/strava\\?user=`,
          'm',
        ),
      );
    } finally {
      sandbox.resetFaults();
    }
  });

  it('prints a sync the rate limit deferred beyond its wait with retryAt, and exits 75 (not 1)', async () => {
    // Strava answers 429 until tomorrow: longer than the command waits (15 min), so it stops at once
    sandbox.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 86_400 } });
    try {
      const before = Date.now();
      const run = await runCli(['sync', String(connectionId), '--json'], { cwd, env });
      // no key in this file's env: the plaintext warning is the only line on stderr (a deferral is no error)
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/stored in clear/)]);
      expect(run.code).toBe(75);
      const result = JSON.parse(run.stdout);
      expect(result).toMatchObject({ status: 'deferred', errorMessage: expect.stringMatching(/rate limit/) });
      expect(Date.parse(result.retryAt)).toBeGreaterThan(before + 86_000_000);

      sandbox.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 86_400 } });
      const text = await runCli(['sync', String(connectionId)], { cwd, env });
      expect(text.code).toBe(75);
      expect(text.stdout).toMatch(/deferred by the rate limit: run it again at \d{4}-\d\d-\d\dT/);
    } finally {
      sandbox.resetFaults();
    }
  });

  it('an Inactive Strava app: sync exits 75 with the fix, `connections list` says it once, then it resumes', async () => {
    sandbox.setProgram({ appInactive: true });
    try {
      const run = await runCli(['sync', String(connectionId)], { cwd, env });
      expect(run.code).toBe(75);
      expect(run.stdout).toMatch(
        /deferred: .*Inactive.*reactivate the app at https:\/\/www\.strava\.com\/settings\/api/,
      );
      const table = await runCli(['connections', 'list'], { cwd, env });
      const notices = table.stdout.split('\n').filter((line) => line.startsWith('! '));
      expect(notices).toEqual([
        expect.stringMatching(
          /^! Strava syncs are paused: Strava refused .*Inactive.*settings\/api.*resumes by itself/,
        ),
      ]);
      // the connection itself is not marked: nobody must reconnect
      const list = JSON.parse((await runCli(['connections', 'list', '--json'], { cwd, env })).stdout);
      expect(list[0]).toMatchObject({ status: 'active', lastError: null });
    } finally {
      sandbox.setProgram({ appInactive: false });
    }
    expect((await runCli(['sync', String(connectionId)], { cwd, env })).code).toBe(0);
    const after = await runCli(['connections', 'list'], { cwd, env });
    expect(after.stdout).not.toMatch(/^! /m);
  });
});
