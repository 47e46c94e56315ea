import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUser } from '../src/app/users';
import { openTrainlytics } from '../src/open-trainlytics';
import { connectAccount } from './helpers/connect';
import { runCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

/** `trainlytics detail`: one activity's streams, and a connection's streams backlog (ADR 0030). */
describe('trainlytics detail, against PostgreSQL with a Strava sandbox', () => {
  let cwd: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sandbox: StravaSandbox;
  let env: Record<string, string>;
  let connectionId: number;
  let activityId: string;

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-detail-'));
    database = await createTestDatabase({ prefix: 'tl_cli_detail' });
    sandbox = await startStravaSandbox();
    env = { DATABASE_URL: database.connectionString, ...stravaEnv(sandbox) };
    expect((await runCli(['migrate', 'up'], { cwd, env })).code).toBe(0);
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 12, seed: 3 });
    const opened = await openTrainlytics({ env, cwd, providers: [sandbox.createProvider()] });
    try {
      const user = await ensureUser(opened.database.db, { email: 'detail@example.com' });
      connectionId = (
        await connectAccount(opened.trainlytics, 'strava', sandbox, { userId: user.id, providerUserId })
      ).id;
      await opened.trainlytics.sync(connectionId, { full: true });
      const recorded = (await opened.trainlytics.activities.list({ connectionId, limit: 100 })).find(
        (a) => !a.isManual,
      );
      activityId = String(recorded!.id);
    } finally {
      await opened.close();
    }
  }, 180_000);
  afterAll(async () => {
    await sandbox.close();
    await database.drop();
    await rm(cwd, { recursive: true, force: true });
  });

  it('fetches one activity’s streams, then reads them without a request (--json)', async () => {
    const id = activityId;
    const first = await runCli(['detail', id, '--json'], { cwd, env });
    expect(first.code).toBe(0);
    const json = JSON.parse(first.stdout);
    expect(json).toMatchObject({ activityId: Number(id), provider: 'strava', status: 'stored', requests: 2 });
    expect(json.samples).toBeGreaterThan(100);
    expect(json.streams.time).toHaveLength(json.samples);
    const again = await runCli(['detail', id], { cwd, env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`^Activity ${id} \\(Strava \\d+\\): \\d+ samples \\(.*\\), \\d+ laps?`),
    );
    expect(again.stdout).not.toMatch(/request/);
  });

  it('works through the connection’s backlog and says what is left', async () => {
    const limited = await runCli(['detail', '--connection', String(connectionId), '--limit', '3', '--json'], {
      cwd,
      env,
    });
    expect(limited.code).toBe(0);
    const run = JSON.parse(limited.stdout);
    expect(run).toMatchObject({ connectionId, stoppedBy: 'limit', failed: 0 });
    expect(run.stored + run.none).toBe(3);
    expect(run.plan).toMatchObject({ remaining: 12 - 1 - 3, requestsPerActivity: 2 });
    const rest = await runCli(['detail', '--connection', String(connectionId)], { cwd, env });
    expect(rest.code).toBe(0);
    expect(rest.stdout).toMatch(
      /^Connection \d+: \d+ stored, \d+ without streams in \d+ requests; the backlog is done\. no activity left without streams$/m,
    );
  });

  it.each([
    [['detail'], /Give an activity id or --connection/],
    [['detail', '1', '--connection', '2'], /Give an activity id or --connection/],
    [['detail', 'abc'], /activity id must be a positive integer/],
    [['detail', '--connection', '1', '--since', 'yesterday'], /--since must be a date like 2026-01-31/],
  ])('refuses %j with one line and exit 2', async (args, pattern) => {
    const run = await runCli(args, { cwd, env });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(pattern)]);
  });

  it('says an unknown activity in one line', async () => {
    const run = await runCli(['detail', '999999'], { cwd, env });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/Activity 999999 does not exist/)]);
  });
});
