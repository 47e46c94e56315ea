import { createTrainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSyncChild } from './helpers/child';
import { connectAccount, createUser, storedStats } from './helpers/connect';

// Strava rotates the refresh token on every refresh and the presented one dies at once: two processes
// refreshing the same expired connection with the same refresh token would make one of them fail and
// (wrongly) ask the user to reconnect. Two real processes race here on real PostgreSQL.

let database: TestDatabase;
let sandbox: StravaSandbox;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_race' });
  sandbox = await startStravaSandbox({ provider: { pageSize: 20 } });
});
afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

describe('a rotating refresh token raced by two processes', () => {
  it('exactly one refresh reaches Strava, both processes sync with a working token, the connection stays active', async () => {
    const trainlytics = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider()],
    });
    const userId = await createUser(database.pool, 'race');
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 40 });
    const connection = await connectAccount(trainlytics, sandbox, 'strava', userId, providerUserId);
    const before = await database.pool.query(
      'select access_token, refresh_token from provider_connections where id = $1',
      [connection.id],
    );

    // the token expired at Strava and in our row: the next API call of either process needs a refresh
    await sandbox.expireAccessTokens(providerUserId);
    await database.pool.query(
      "update provider_connections set token_expires_at = now() - interval '1 minute' where id = $1",
      [connection.id],
    );
    sandbox.resetCounters();

    const env = {
      DATABASE_URL: database.connectionString,
      CONNECTION_ID: String(connection.id),
      STRAVA_OPTIONS: JSON.stringify(sandbox.providerOptions()),
      FULL: '1',
    };
    const first = spawnSyncChild(env);
    const second = spawnSyncChild(env);
    const [a, b] = await Promise.all([
      first.waitFor((m) => m.result !== undefined),
      second.waitFor((m) => m.result !== undefined),
    ]);
    await Promise.all([first.exited, second.exited]);

    expect(a.result?.status).toBe('success');
    expect(b.result?.status).toBe('success');
    expect(sandbox.requestCount({ pathPrefix: '/oauth/token', method: 'POST' })).toBe(1);

    const after = await database.pool.query(
      'select access_token, refresh_token, reauth_required, last_error from provider_connections where id = $1',
      [connection.id],
    );
    const row = after.rows[0];
    expect(row?.reauth_required).toBe(false);
    expect(row?.last_error).toBeNull();
    expect(row?.access_token).not.toBe(before.rows[0]?.access_token);
    // the stored refresh token is the one Strava accepts now (the rotated one)
    expect(row?.refresh_token).toBe(sandbox.currentRefreshToken(providerUserId));
    expect(row?.refresh_token).not.toBe(before.rows[0]?.refresh_token);

    const stats = await storedStats(database.pool, connection.id);
    expect(stats.rows).toBe(40);
    expect(stats.distinct).toBe(40);
    // and the token still works for the next run
    const next = await trainlytics.sync(connection.id);
    expect(next.status).toBe('success');
    expect(sandbox.requestCount({ pathPrefix: '/oauth/token', method: 'POST' })).toBe(1);
  });
});
