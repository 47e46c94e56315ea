import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { migrate } from '@trainlytics/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';

/**
 * Today's users keep their Strava connection through the migration: a database on the legacy schema
 * (001) with a Strava connection whose access token has expired and a few activities is migrated to 002,
 * then synced through the sandbox on real PostgreSQL — without the athlete reconnecting.
 */
describe('a legacy Strava connection syncs after the migration without reconnecting', () => {
  const athleteId = '6021913';
  const legacyRefreshToken = 'legacy-refresh-token-0123456789abcdef';
  let database: TestDatabase;
  let sandbox: StravaSandbox;
  let trainlytics: Trainlytics;
  let userId: number;
  let legacyIds: string[];
  const legacyRowIds: number[] = [];

  beforeAll(async () => {
    sandbox = await startStravaSandbox({ provider: { pageSize: 25 } });
    const expiredAt = new Date(sandbox.clock.now().getTime() - 2 * 3600_000);
    await sandbox.registerAthlete({
      athleteId,
      accessToken: 'legacy-access-token-0123456789abcdef',
      refreshToken: legacyRefreshToken,
      expiresAt: expiredAt,
      scopes: ['read', 'activity:read_all'],
      activityCount: 60,
      seed: 11,
      firstname: 'Legacy',
      lastname: 'Runner',
    });
    // the newest (id beyond 2^53), one from the middle and the oldest were already synced by the old code
    const all = sandbox.activityIds(athleteId);
    legacyIds = [all[0]!, all[30]!, all[59]!];

    database = await createTestDatabase({ prefix: 'tl_strava_legacy' });
    await migrate(database.pool, { direction: 'up', to: '001' });
    const user = await database.pool.query<{ id: number }>(
      `insert into users (email, first_name, last_name) values ('legacy@example.com', 'Legacy', 'Runner') returning id`,
    );
    userId = user.rows[0]!.id;
    await database.pool.query(
      `insert into strava_connections (user_id, strava_athlete_id, access_token, refresh_token, expires_at, scope,
         firstname, lastname, profile_url, profile_picture)
       values ($1, $2::bigint, 'legacy-access-token-0123456789abcdef', $3, $4, 'read,activity:read_all',
         'Legacy', 'Runner', 'https://www.strava.com/athletes/6021913', 'avatar/athlete/large.png')`,
      [userId, athleteId, legacyRefreshToken, expiredAt],
    );
    for (const id of legacyIds) {
      const activity = sandbox.getActivity(athleteId, id)!;
      const row = await database.pool.query<{ id: number }>(
        `insert into activities (user_id, strava_activity_id, name, sport_type, start_date, distance_m, moving_time_s,
           elapsed_time_s, is_manual, raw)
         values ($1, $2::bigint, $3, $4, $5, $6, $7, $8, false, '{}'::jsonb) returning id`,
        [
          userId,
          id,
          `old name ${activity.name}`,
          activity.sport_type,
          activity.start_date,
          activity.distance,
          activity.moving_time,
          activity.elapsed_time,
        ],
      );
      legacyRowIds.push(row.rows[0]!.id);
    }
    await database.pool.query(
      `insert into activities (user_id, name, sport_type, start_date, is_manual) values ($1, 'Gym (typed in)', 'WeightTraining', now(), true)`,
      [userId],
    );
    await migrate(database.pool, { direction: 'up' });

    trainlytics = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider()],
      clock: new FakeClock(sandbox.clock.now()),
    });
  });

  afterAll(async () => {
    await trainlytics?.close();
    await sandbox?.close();
    await database?.drop();
  });

  it('refreshes the expired token, stores the rotated refresh token and links activities without duplicates', async () => {
    const [connection] = await trainlytics.connections.list({ userId, provider: 'strava' });
    expect(connection).toBeDefined();
    expect(connection!.providerUserId).toBe(athleteId);
    expect(connection!.status).toBe('active');

    const result = await trainlytics.sync(connection!.id);
    expect(result.errorMessage).toBeNull();
    expect(result.status).toBe('success');
    expect(result.activitiesRejected).toBe(0);
    // the three legacy rows are updated in place, the other 57 are new
    expect(result.activitiesCreated).toBe(57);
    expect(result.activitiesUpdated).toBe(3);

    const tokens = await database.pool.query(
      'select refresh_token, token_expires_at, reauth_required from provider_connections where id = $1',
      [connection!.id],
    );
    const stored = tokens.rows[0]!;
    expect(stored.refresh_token).not.toBe(legacyRefreshToken);
    expect(stored.refresh_token).toBe(sandbox.currentRefreshToken(athleteId));
    expect(new Date(stored.token_expires_at).getTime()).toBeGreaterThan(sandbox.clock.now().getTime());
    expect(stored.reauth_required).toBe(false);

    // the old refresh token died with the rotation
    const old = await fetch(sandbox.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: sandbox.clientId,
        client_secret: sandbox.clientSecret,
        grant_type: 'refresh_token',
        refresh_token: legacyRefreshToken,
      }),
    });
    expect(old.status).toBe(400);

    const strava = await database.pool.query(
      `select id, connection_id, provider_activity_id, strava_activity_id::text as legacy_id, name, start_date_local
         from activities where user_id = $1 and provider = 'strava'`,
      [userId],
    );
    expect(strava.rows).toHaveLength(60);
    expect(new Set(strava.rows.map((r) => r.provider_activity_id)).size).toBe(60);
    expect(strava.rows.every((r) => r.connection_id === connection!.id)).toBe(true);
    expect(strava.rows.map((r) => r.provider_activity_id).sort()).toEqual(
      sandbox.activityIds(athleteId).sort(),
    );

    // the legacy rows kept their ids and were refreshed from Strava, the > 2^53 id exact in both columns
    for (const [index, id] of legacyIds.entries()) {
      const row = strava.rows.find((r) => r.provider_activity_id === id)!;
      expect(row.id).toBe(legacyRowIds[index]);
      expect(row.legacy_id).toBe(id);
      expect(row.name).toBe(sandbox.getActivity(athleteId, id)!.name);
      expect(row.start_date_local).not.toBeNull();
    }
    expect(Number.isSafeInteger(Number(legacyIds[0]))).toBe(false);

    const manual = await database.pool.query(
      `select count(*)::int as n from activities where user_id = $1 and is_manual and provider_activity_id is null`,
      [userId],
    );
    expect(manual.rows[0]!.n).toBe(1);
  });

  it('a second sync finds nothing new and uses the rotated tokens', async () => {
    const [connection] = await trainlytics.connections.list({ userId, provider: 'strava' });
    await sandbox.addActivities(athleteId, 2);
    const result = await trainlytics.sync(connection!.id);
    expect(result.status).toBe('success');
    expect(result.activitiesCreated).toBe(2);
    expect(result.activitiesUpdated).toBe(0);
    const count = await database.pool.query(
      `select count(*)::int as n from activities where connection_id = $1`,
      [connection!.id],
    );
    expect(count.rows[0]!.n).toBe(62);
  });
});
