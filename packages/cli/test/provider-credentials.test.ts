import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigurationError, createTrainlytics, OAuthError, type Provider } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import type { ConformanceSandbox } from '@trainlytics/core/testing';
import { migrate } from '@trainlytics/migrations';
import { garmin } from '@trainlytics/provider-garmin';
import { startGarminSandbox } from '@trainlytics/provider-garmin/sandbox';
import { polar } from '@trainlytics/provider-polar';
import { startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { strava } from '@trainlytics/provider-strava';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { runCli } from './helpers/run-cli';

// A missing client secret used to be found only in connect.finish, after the user had approved on the
// provider's consent page; a wrong one said what to check only on `.cause`. Each plugin now refuses at
// connect.start, naming the variable, and a refused secret's hint is in the OAuthError's message.

type Env = Record<string, string | undefined>;
interface Case {
  id: 'strava' | 'garmin' | 'polar';
  prefix: string;
  start(): Promise<ConformanceSandbox & { env(): Record<string, string> }>;
  plugin(env: Env): Provider;
}
const CASES: Case[] = [
  { id: 'strava', prefix: 'STRAVA', start: () => startStravaSandbox(), plugin: (env) => strava({ env }) },
  { id: 'garmin', prefix: 'GARMIN', start: () => startGarminSandbox(), plugin: (env) => garmin({ env }) },
  { id: 'polar', prefix: 'POLAR', start: () => startPolarSandbox(), plugin: (env) => polar({ env }) },
];

let database: OpenedDatabase;
let userId: number;
beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  const { rows } = await database.db.query<{ id: number }>(
    `insert into users (email) values ('athlete@example.com') returning id`,
  );
  userId = Number(rows[0]!.id);
});
afterAll(() => database?.close());

const states = async () =>
  Number(
    (await database.db.query<{ n: number }>('select count(*)::int as n from trainlytics_oauth_states'))
      .rows[0]!.n,
  );

describe.each(CASES)('$id credentials', ({ id, prefix, start, plugin }) => {
  let sandbox: Awaited<ReturnType<Case['start']>>;
  beforeAll(async () => {
    sandbox = await start();
  });
  afterAll(() => sandbox?.close());

  const trainlyticsWith = (env: Env) =>
    createTrainlytics({ store: postgresStore(database.db as never), providers: [plugin(env)] });

  it.each([
    [['CLIENT_SECRET'], 'client secret is missing: set PREFIX_CLIENT_SECRET'],
    [['CLIENT_ID'], 'client id is missing: set PREFIX_CLIENT_ID'],
    [
      ['CLIENT_ID', 'CLIENT_SECRET'],
      'client id and client secret are missing: set PREFIX_CLIENT_ID and PREFIX_CLIENT_SECRET',
    ],
  ])('without %j, connect.start refuses before any redirect, naming the variables', async (unset, says) => {
    const env: Env = { ...sandbox.env() };
    for (const key of unset) delete env[`${prefix}_${key}`];
    const before = await states();
    const error = await trainlyticsWith(env)
      .connect.start(id, { userId, redirectUri: 'http://127.0.0.1:9/callback' })
      .catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    const message = (error as ConfigurationError).message;
    for (const key of unset) expect(message).toContain(`${prefix}_${key}`);
    expect(message).toContain(says.replaceAll('PREFIX', prefix));
    expect(await states()).toBe(before);
  });

  it('a wrong client secret: the OAuthError message itself says which variables to check', async () => {
    const t = trainlyticsWith({ ...sandbox.env(), [`${prefix}_CLIENT_SECRET`]: 'not-the-secret' });
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 0 });
    const { url } = await t.connect.start(id, { userId, redirectUri: 'http://127.0.0.1:9/callback' });
    const callback = await sandbox.approve(url, { providerUserId });
    const error = await t.connect
      .finish(id, { callbackParams: callback.searchParams })
      .catch((e: unknown) => e);
    expect(OAuthError.isInstance(error)).toBe(true);
    const e = error as OAuthError;
    expect(e.message).toContain(`${prefix}_CLIENT_SECRET`);
    expect(e.hint).toContain(`${prefix}_CLIENT_SECRET`);
    expect(e.userMessage).toBe(e.message); // the hint is not said twice
  });
});

describe('serve and demo refuse half-set credentials at startup (child processes)', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-credentials-'));
  });
  afterAll(() => rm(cwd, { recursive: true, force: true }));

  it.each([
    [
      ['serve', '--port', '0'],
      { STRAVA_CLIENT_ID: '123' },
      'STRAVA_CLIENT_ID is set but STRAVA_CLIENT_SECRET is not',
    ],
    [
      ['serve', '--port', '0'],
      { STRAVA_CLIENT_ID: '1', STRAVA_CLIENT_SECRET: 's', POLAR_CLIENT_SECRET: 's' },
      'POLAR_CLIENT_SECRET is set but POLAR_CLIENT_ID is not',
    ],
    [
      ['demo', '--headless'],
      { GARMIN_CLIENT_ID: 'g' },
      'GARMIN_CLIENT_ID is set but GARMIN_CLIENT_SECRET is not',
    ],
  ])('%j with %j: one line naming the missing variable, exit 1, nothing opened', async (args, env, says) => {
    const run = await runCli(args, { cwd, env });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(says)]);
    expect(existsSync(path.join(cwd, '.trainlytics'))).toBe(false); // refused before the database
  });
});
