import { createTrainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SyncChild, spawnSyncChild } from './helpers/child';
import { connectAccount, createUser, storedStats } from './helpers/connect';
import { startTokenGate, type TokenGate } from './helpers/token-gate';

// Strava rotates the refresh token on every refresh and the presented one dies at once: two processes
// refreshing the same expired connection with the same refresh token would make one of them fail and
// (wrongly) ask the user to reconnect. Two real processes race here on real PostgreSQL, doing two
// DIFFERENT operations on one connection, so that no sync lease serializes them: one syncs, the other
// checks the connection (a forged deauthorization, which core confirms with an API call). A gate in front of
// Strava's token endpoint holds the first refresh until the other process has demonstrably found the
// refresh in flight (it sleeps on the refresh lease) or has sent a refresh of its own.

let database: TestDatabase;
let sandbox: StravaSandbox;
let gate: TokenGate;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_race' });
  sandbox = await startStravaSandbox({ provider: { pageSize: 20 } });
  gate = await startTokenGate(sandbox.tokenUrl);
});
afterAll(async () => {
  await gate?.close();
  await sandbox?.close();
  await database?.drop();
});

/** A forged `authorized: "false"` event, as Strava's webhook docs describe it (the tokens still work). */
function forgedDeauthorization(providerUserId: string) {
  const subscriptionId = sandbox.providerOptions().webhooks?.subscriptionId;
  return {
    url: 'http://127.0.0.1/webhooks/strava',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      aspect_type: 'update',
      event_time: Math.floor(Date.now() / 1000),
      object_id: Number(providerUserId),
      object_type: 'athlete',
      owner_id: Number(providerUserId),
      subscription_id: Number(subscriptionId),
      updates: { authorized: 'false' },
    }),
  };
}

/** Resolves when the child sleeps (it found a lease held by the other process); never rejects. */
const waits = (child: SyncChild) =>
  child
    .waitFor((m) => m.waiting !== undefined)
    .then(
      () => 'a process waited for the refresh in flight' as const,
      () => new Promise<never>(() => {}),
    );

describe('a rotating refresh token raced by two processes', () => {
  it('a sync and a connection check on one expired connection: ONE refresh reaches Strava, with the current refresh token', async () => {
    const trainlytics = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider()],
    });
    const userId = await createUser(database.pool, 'race');
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 40 });
    const connection = await connectAccount(trainlytics, sandbox, 'strava', userId, providerUserId);
    const before = (
      await database.pool.query(
        'select access_token, refresh_token from provider_connections where id = $1',
        [connection.id],
      )
    ).rows[0];
    expect(before?.refresh_token).toBe(sandbox.currentRefreshToken(providerUserId));

    // the token expired at Strava and in our row: the first API call of either process needs a refresh
    await sandbox.expireAccessTokens(providerUserId);
    await database.pool.query(
      "update provider_connections set token_expires_at = now() - interval '1 minute' where id = $1",
      [connection.id],
    );

    const env = {
      DATABASE_URL: database.connectionString,
      CONNECTION_ID: String(connection.id),
      STRAVA_OPTIONS: JSON.stringify({ ...sandbox.providerOptions(), tokenUrl: gate.url }),
    };
    const syncing = spawnSyncChild({ ...env, FULL: '1' });
    const checking = spawnSyncChild({
      ...env,
      OPERATION: 'webhook',
      WEBHOOK: JSON.stringify(forgedDeauthorization(providerUserId)),
    });
    const results = Promise.all([
      syncing.waitFor((m) => m.result !== undefined),
      checking.waitFor((m) => m.result !== undefined),
    ]);
    results.catch(() => {}); // awaited below; a child that dies early fails the test there

    // one refresh is in flight (held); the other process now either waits for it or sends its own
    await gate.arrived(1);
    const contention = await Promise.race([
      waits(syncing),
      waits(checking),
      gate.arrived(2).then(() => 'a second refresh was sent' as const),
      results.then(() => 'a process finished without the refresh' as const),
    ]);
    await gate.open();
    const [synced, checked] = await results;
    await Promise.all([syncing.exited, checking.exited]);

    expect(contention).toBe('a process waited for the refresh in flight');
    // exactly one refresh grant, presenting the refresh token Strava had issued, and accepted
    expect(gate.grants).toEqual([
      {
        refreshToken: before?.refresh_token,
        status: 200,
        error: null,
        issuedRefreshToken: expect.any(String),
      },
    ]);
    expect(synced.result).toMatchObject({ status: 'success', activitiesCreated: 40 });
    // the forged event was checked with the refreshed token and ignored
    expect(checked.result).toEqual({ status: '200', connectionStatus: 'active' });

    const row = (
      await database.pool.query(
        'select access_token, refresh_token, reauth_required, last_error, is_active from provider_connections where id = $1',
        [connection.id],
      )
    ).rows[0];
    expect(row).toMatchObject({ reauth_required: false, last_error: null, is_active: true });
    expect(row?.access_token).not.toBe(before?.access_token);
    // the stored refresh token is the one Strava accepts now (the rotated one)
    expect(row?.refresh_token).toBe(gate.grants[0]?.issuedRefreshToken);
    expect(row?.refresh_token).toBe(sandbox.currentRefreshToken(providerUserId));

    const stats = await storedStats(database.pool, connection.id);
    expect(stats).toEqual({ rows: 40, distinct: 40 });
    // and the token still works for the next run, without another refresh
    sandbox.resetCounters();
    const next = await trainlytics.sync(connection.id);
    expect(next.status).toBe('success');
    expect(sandbox.requestCount({ pathPrefix: '/oauth/token', method: 'POST' })).toBe(0);
    await trainlytics.close();
  });
});
