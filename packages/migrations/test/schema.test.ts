import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, migrationsDir, verify } from '../src/index.js';
import {
  BIG_ATHLETE_ID,
  EXPIRED_AT,
  kinds,
  legacyRows,
  seedLegacy,
  snapshot,
  useTestDatabase,
  VALID_UNTIL,
} from './helpers.js';

const sql = (file: string) => readFileSync(path.join(migrationsDir, file), 'utf8');
const LEGACY = sql('001_legacy.sql');
const UP = sql('002_multi_provider.sql');
const DOWN = sql('002_multi_provider.down.sql');

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

describe.each(kinds)('002 multi-provider schema on %s', (kind) => {
  const t = useTestDatabase(kind);

  it('migrates a fresh database up, down and up again', async () => {
    const first = await migrate(t.input, { to: '002' });
    expect(first.steps.map((s) => s.file)).toEqual(['001_legacy.sql', '002_multi_provider.sql']);
    const tables = async () =>
      (
        await t.rows<{ name: string }>(
          `select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
        )
      ).map((r) => r.name);
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'activities',
        'provider_connections',
        'recent_activities',
        'strava_connections',
        'sync_history',
        'user_connections_summary',
        'users',
        'workouts',
      ]),
    );
    const down = await migrate(t.input, { direction: 'down', to: '001' });
    expect(down.current).toBe('001');
    expect(await tables()).toEqual(['activities', 'strava_connections', 'trainlytics_migrations', 'users']);
    const again = await migrate(t.input, { to: '002' });
    expect(again.steps.map((s) => s.file)).toEqual(['002_multi_provider.sql']);
    expect((await verify(t.input)).every((c) => c.ok)).toBe(true);
  });

  it('keeps every user, connection, token, profile field and activity of a legacy database', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    const before = await legacyRows(t.db);
    await migrate(t.input, { to: '002' });

    const after = await legacyRows(t.db);
    expect(after.users).toEqual(before.users);
    expect(after.strava_connections).toEqual(before.strava_connections);
    // Activities: everything but sport_type is untouched; the Strava name moved to provider_sport_type.
    const beforeActivities = before.activities as Record<string, unknown>[];
    const afterActivities = after.activities as Record<string, unknown>[];
    expect(afterActivities.map(({ sport_type, ...rest }) => rest)).toEqual(
      beforeActivities.map(({ sport_type, ...rest }) => rest),
    );

    const connections = await t.rows(
      `select user_id, provider::text, provider_user_id, access_token, refresh_token, token_expires_at, scopes,
              provider_profile, is_active, reauth_required, created_at, updated_at
       from provider_connections order by user_id`,
    );
    expect(connections).toHaveLength(3);
    expect(connections.map((c) => ({ ...c, token_expires_at: iso(c.token_expires_at) }))).toMatchObject([
      {
        user_id: 1,
        provider: 'strava',
        provider_user_id: '1001',
        access_token: "access-ana-'quoted'",
        refresh_token: 'refresh-ana',
        token_expires_at: VALID_UNTIL,
        scopes: ['read', 'activity:read_all'],
        provider_profile: {
          firstname: 'Ana',
          lastname: "O'Brien-Núñez",
          profile_url: 'https://www.strava.com/athletes/1001',
          profile_picture: 'https://dgalywyr863hv.cloudfront.net/pictures/athletes/1001/large.jpg',
        },
        is_active: true,
        reauth_required: false,
      },
      {
        user_id: 2,
        provider_user_id: '1002',
        access_token: 'access-bob',
        token_expires_at: EXPIRED_AT,
        scopes: [],
        provider_profile: {
          firstname: 'Bob',
          lastname: 'Builder "the fixer"',
          profile_url: null,
          profile_picture: 'avatar/athlete/large.png',
        },
      },
      { user_id: 4, provider_user_id: BIG_ATHLETE_ID, access_token: 'access-dan-ü', scopes: [] },
    ]);
    for (const [i, legacy] of (before.strava_connections as Record<string, unknown>[]).entries()) {
      expect(iso(connections[i]!.created_at)).toBe(iso(legacy.created_at));
      expect(iso(connections[i]!.updated_at)).toBe(iso(legacy.updated_at));
    }

    const activities = await t.rows(
      `select id, connection_id, provider::text as provider, provider_activity_id, sport_type, provider_sport_type,
              to_char(start_date_local, 'YYYY-MM-DD"T"HH24:MI:SS') as local, utc_offset_s, max_heartrate,
              average_speed_mps, max_speed_mps, device_name
       from activities order by id`,
    );
    const pc = Object.fromEntries(
      (await t.rows<{ user_id: number; id: number }>('select user_id, id from provider_connections')).map(
        (r) => [r.user_id, r.id],
      ),
    );
    const byId = Object.fromEntries(activities.map((a) => [a.id, a]));
    expect(byId[1]).toEqual({
      id: 1,
      connection_id: pc[1],
      provider: 'strava',
      provider_activity_id: '5000000001',
      sport_type: 'run',
      provider_sport_type: 'Run',
      local: '2024-05-01T08:00:00',
      utc_offset_s: 7200,
      max_heartrate: 181,
      average_speed_mps: 3.337,
      max_speed_mps: 5.1,
      device_name: null,
    });
    expect(byId[3]).toMatchObject({
      sport_type: 'e_bike_ride',
      provider_sport_type: 'EMountainBikeRide',
      local: null,
    });
    expect(byId[4]).toMatchObject({
      sport_type: 'other',
      provider_sport_type: 'Kayaking',
      utc_offset_s: -25200,
    });
    expect(byId[4]!.local).toBe('2024-05-04T02:00:00');
    // Manual, synced from Strava: linked; a malformed raw payload is ignored.
    expect(byId[5]).toMatchObject({
      connection_id: pc[1],
      provider: 'strava',
      sport_type: 'strength_training',
      local: null,
      utc_offset_s: null,
    });
    // Manual, never on Strava: unlinked but normalized.
    expect(byId[6]).toMatchObject({
      connection_id: null,
      provider: null,
      sport_type: 'yoga',
      provider_sport_type: 'Yoga',
    });
    expect(byId[7]).toMatchObject({ connection_id: pc[1], sport_type: null, provider_sport_type: null });
    expect(byId[8]).toMatchObject({ connection_id: pc[2], sport_type: 'indoor_rowing', utc_offset_s: 3600 });
    expect(byId[9]).toMatchObject({ sport_type: 'alpine_ski', provider_sport_type: 'Snowboard' });
    expect(byId[10]).toMatchObject({
      connection_id: pc[4],
      sport_type: 'trail_run',
      local: '2022-03-03T09:00:00',
      utc_offset_s: 32400,
      device_name: 'Garmin Forerunner 965',
    });
    expect(byId[11]).toMatchObject({ connection_id: null, sport_type: 'run' });

    const unlinked = await t.rows<{ n: number }>(
      `select count(*)::int as n from activities where not is_manual and strava_activity_id is not null and connection_id is null`,
    );
    expect(unlinked[0]!.n).toBe(0);

    // Functions.
    const names = await t.rows<{ id: number; name: string | null }>(
      'select id, get_user_full_name(id) as name from users order by id',
    );
    expect(names.map((n) => n.name)).toEqual([
      "Ana O'Brien-Núñez",
      'Bob Builder "the fixer"', // from the Strava profile
      'Chloé Zoë 🚴',
      'Dan',
      'Solo',
    ]);
    expect((await t.rows('select get_user_full_name(999) as name'))[0]!.name).toBeNull();
    const expired = await t.rows<{ user_id: number; expired: boolean }>(
      'select user_id, is_token_expired(id) as expired from provider_connections order by user_id',
    );
    expect(expired.map((e) => e.expired)).toEqual([false, true, true]);
    await t.db.exec(`update provider_connections set token_expires_at = null where user_id = 2`);
    expect(
      (await t.rows(`select is_token_expired(id) as e from provider_connections where user_id = 2`))[0]!.e,
    ).toBe(false);
    expect((await t.rows('select is_token_expired(424242) as e'))[0]!.e).toBeNull();

    // Views.
    await t.db.exec(
      `update provider_connections set last_sync_at = '2024-06-02T00:00:00Z' where user_id = 1`,
    );
    const summary = await t.rows(
      `select user_id, email, full_name, providers::text[] as providers, connection_count, active_connection_count,
              activity_count, last_sync_at
       from user_connections_summary order by user_id`,
    );
    expect(summary.map((s) => ({ ...s, last_sync_at: iso(s.last_sync_at) }))).toEqual([
      {
        user_id: 1,
        email: 'ana@example.com',
        full_name: "Ana O'Brien-Núñez",
        providers: ['strava'],
        connection_count: 1,
        active_connection_count: 1,
        activity_count: 7,
        last_sync_at: '2024-06-02T00:00:00.000Z',
      },
      expect.objectContaining({ user_id: 2, providers: ['strava'], activity_count: 2, last_sync_at: null }),
      expect.objectContaining({ user_id: 3, providers: [], connection_count: 0, activity_count: 1 }),
      expect.objectContaining({ user_id: 4, providers: ['strava'], activity_count: 1 }),
      expect.objectContaining({ user_id: 5, providers: [], connection_count: 0, activity_count: 1 }),
    ]);
    const recent = await t.rows<{ id: number; provider: string | null }>(
      'select id, provider::text as provider from recent_activities',
    );
    expect(recent.map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1, 12, 11, 9, 8, 10, 7]);
    expect(recent.find((r) => r.id === 1)!.provider).toBe('strava');
    const viewColumns = await t.rows<{ column_name: string }>(
      `select column_name from information_schema.columns
       where table_name in ('user_connections_summary', 'recent_activities')`,
    );
    expect(viewColumns.map((c) => c.column_name).filter((c) => /token/.test(c))).toEqual([]);

    // sync_history: connection_id + sync_status is enough.
    await t.db.query(`insert into sync_history (connection_id, sync_status) values ($1, 'success')`, [pc[1]]);
    const history = await t.rows('select sync_type, activities_created, errors from sync_history');
    expect(history).toEqual([{ sync_type: 'incremental', activities_created: 0, errors: [] }]);

    // on conflict (provider, provider_activity_id) works against the real constraint.
    await t.db.query(
      `insert into activities (user_id, provider, provider_activity_id, name, sport_type)
       values (1, 'strava', '5000000001', 'Renamed', 'run')
       on conflict (provider, provider_activity_id) do update set name = excluded.name`,
    );
    expect((await t.rows('select name from activities where id = 1'))[0]!.name).toBe('Renamed');

    expect((await verify(t.input)).filter((c) => !c.ok)).toEqual([]);
  });

  it('wires the foreign keys: a deleted connection unlinks activities and drops its sync history', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    await migrate(t.input, { to: '002' });
    await t.db.exec(`
      insert into sync_history (connection_id, sync_status) select id, 'running' from provider_connections;
      insert into workouts (user_id, connection_id, name, completed_activity_id)
      select 1, id, 'Intervals', 1 from provider_connections where user_id = 1;
      delete from provider_connections where user_id = 1;
    `);
    const activities = await t.rows<{ n: number; linked: number }>(
      `select count(*)::int as n, count(connection_id)::int as linked from activities where user_id = 1`,
    );
    expect(activities).toEqual([{ n: 7, linked: 0 }]);
    expect((await t.rows('select count(*)::int as n from sync_history'))[0]!.n).toBe(2);
    expect(await t.rows('select connection_id, completed_activity_id from workouts')).toEqual([
      { connection_id: null, completed_activity_id: 1 },
    ]);
    await t.db.exec('delete from activities where id = 1; delete from users where id = 2;');
    expect(await t.rows('select completed_activity_id from workouts')).toEqual([
      { completed_activity_id: null },
    ]);
    expect((await t.rows('select count(*)::int as n from provider_connections'))[0]!.n).toBe(1);
    expect((await t.rows('select count(*)::int as n from sync_history'))[0]!.n).toBe(1);
  });

  it('maps every Strava SportType to the normalized vocabulary, keeping the original', async () => {
    const mapping: Record<string, string> = {
      Run: 'run',
      TrailRun: 'trail_run',
      VirtualRun: 'virtual_run',
      Ride: 'ride',
      MountainBikeRide: 'mountain_bike_ride',
      EMountainBikeRide: 'e_bike_ride',
      GravelRide: 'gravel_ride',
      VirtualRide: 'virtual_ride',
      EBikeRide: 'e_bike_ride',
      Swim: 'swim',
      Walk: 'walk',
      Hike: 'hike',
      Rowing: 'rowing',
      VirtualRow: 'indoor_rowing',
      WeightTraining: 'strength_training',
      Crossfit: 'strength_training',
      Yoga: 'yoga',
      Pilates: 'yoga',
      NordicSki: 'cross_country_ski',
      BackcountrySki: 'cross_country_ski',
      RollerSki: 'cross_country_ski',
      AlpineSki: 'alpine_ski',
      Snowboard: 'alpine_ski',
      Elliptical: 'elliptical',
      HighIntensityIntervalTraining: 'hiit',
      Workout: 'other',
      Padel: 'other',
      run: 'run', // already normalized: left alone
      '': 'other',
    };
    await t.db.exec(LEGACY);
    await t.db.exec(`insert into users (email) values ('sports@example.com')`);
    await t.db.query(
      `insert into activities (user_id, name, sport_type, is_manual)
       select 1, s, s, true from unnest($1::text[]) s`,
      [Object.keys(mapping)],
    );
    await t.db.exec(UP);
    const rows = await t.rows<{ name: string; sport_type: string; provider_sport_type: string | null }>(
      'select name, sport_type, provider_sport_type from activities',
    );
    expect(Object.fromEntries(rows.map((r) => [r.name, r.sport_type]))).toEqual(mapping);
    for (const row of rows) {
      expect(row.provider_sport_type).toBe(row.name === 'run' ? null : row.name);
    }
  });

  it('is idempotent: up twice, and 002 executed twice, leave an identical database', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    await migrate(t.input, { to: '002' });
    const once = await snapshot(t.db);
    const second = await migrate(t.input, { to: '002' });
    expect(second.steps).toEqual([]);
    expect(await snapshot(t.db)).toEqual(once);
    await t.db.exec(UP);
    await t.db.exec(UP);
    expect(await snapshot(t.db)).toEqual(once);
    const counts = await t.rows<{ n: number }>(
      `select (select count(*) from provider_connections)::int + (select count(*) from activities)::int as n`,
    );
    expect(counts[0]!.n).toBe(3 + 12);
  });

  it('does not overwrite newer tokens or re-normalize rows when 002 runs again', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    await t.db.exec(UP);
    await t.db.exec(`
      update provider_connections set access_token = 'rotated', refresh_token = 'rotated-refresh',
        token_expires_at = '2030-01-01T00:00:00Z', updated_at = now() where user_id = 1;
      insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, provider_sport_type, name)
      select 1, id, 'strava', '777', 'run', null, 'synced by the SDK' from provider_connections where user_id = 1;
    `);
    await t.db.exec(UP);
    const [conn] = await t.rows(
      'select access_token, refresh_token from provider_connections where user_id = 1',
    );
    expect(conn).toEqual({ access_token: 'rotated', refresh_token: 'rotated-refresh' });
    const sdkRow = await t.rows(
      `select sport_type, provider_sport_type from activities where provider_activity_id = '777'`,
    );
    expect(sdkRow).toEqual([{ sport_type: 'run', provider_sport_type: null }]);
    expect((await t.rows(`select sport_type from activities where id = 1`))[0]!.sport_type).toBe('run');
  });

  it('leaves the database exactly as before when 002 fails part-way (statement or trigger)', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    const before = await snapshot(t.db);

    const lastCommit = UP.lastIndexOf('commit;');
    const failing = `${UP.slice(0, lastCommit)}select 1 / 0;\n${UP.slice(lastCommit)}`;
    await expect(t.db.exec(failing)).rejects.toThrow(/division by zero/);
    await t.db.exec('rollback');
    expect(await snapshot(t.db)).toEqual(before);

    await t.db.exec(`
      create function fail_on_insert() returns trigger language plpgsql as $$
      begin raise exception 'injected failure'; end $$;
      create trigger fail_on_insert before update on activities for each row execute function fail_on_insert();
    `);
    const withTrigger = await snapshot(t.db);
    await expect(t.db.exec(UP)).rejects.toThrow(/injected failure/);
    await t.db.exec('rollback');
    expect(await snapshot(t.db)).toEqual(withTrigger);
  });

  it('gives a clear error when 002 runs on a database without the legacy schema', async () => {
    await expect(t.db.exec(UP)).rejects.toThrow(/no users, activities table\. Run 001_legacy\.sql first/);
    await t.db.exec('rollback');
    const tables = await t.rows(
      `select table_name from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables).toEqual([]);
  });

  it('refuses, with a clear message and no change, two legacy Strava connections for one user', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    await t.db.exec(`
      insert into strava_connections (user_id, strava_athlete_id, access_token, refresh_token, expires_at)
      values (1, 1999, 'second-athlete', 'r', '2030-01-01T00:00:00Z');
    `);
    const before = await snapshot(t.db);
    await expect(t.db.exec(UP)).rejects.toThrow(
      'Trainlytics migration 002_multi_provider: strava_connections has several rows for user id(s) 1, but provider_connections keeps one Strava connection per user.',
    );
    await t.db.exec('rollback');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('accepts a new provider with only ALTER TYPE ... ADD VALUE', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    await migrate(t.input, { to: '002' });
    await t.db.exec(`alter type provider_type add value 'wahoo'`);
    await t.db.exec(`
      insert into provider_connections (user_id, provider, provider_user_id, access_token, token_expires_at, last_sync_at)
      values (3, 'wahoo', 'w-1', 'wahoo-token', null, '2024-07-01T00:00:00Z');
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, start_date)
      select 3, id, 'wahoo', 'wa-1', 'Wahoo ride', 'indoor_ride', '2025-01-01T00:00:00Z'
      from provider_connections where provider = 'wahoo';
      insert into sync_history (connection_id, sync_status) select id, 'success' from provider_connections where provider = 'wahoo';
    `);
    const summary = await t.rows(
      `select providers::text[] as providers, activity_count from user_connections_summary where user_id = 3`,
    );
    expect(summary).toEqual([{ providers: ['wahoo'], activity_count: 2 }]);
    const recent = await t.rows('select name, provider::text as provider from recent_activities limit 1');
    expect(recent).toEqual([{ name: 'Wahoo ride', provider: 'wahoo' }]);
    const expired = await t.rows(
      `select is_token_expired(id) as e from provider_connections where provider = 'wahoo'`,
    );
    expect(expired).toEqual([{ e: false }]);
    expect((await verify(t.input)).filter((c) => !c.ok)).toEqual([]);
    // 002 still re-runs cleanly with the extra enum value.
    const before = await snapshot(t.db);
    await t.db.exec(UP);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('down restores the legacy rows exactly, with tokens rotated after up, and is idempotent', async () => {
    await t.db.exec(LEGACY);
    await seedLegacy(t.db);
    await migrate(t.input, { to: '001' }); // adopts the existing legacy schema
    const before = await legacyRows(t.db);
    const legacySchema = await snapshot(t.db);
    await migrate(t.input, { to: '002' });

    // After up: a token rotates, a new Strava athlete connects, the SDK syncs a new activity, a Garmin user connects.
    await t.db.exec(`
      update provider_connections set access_token = 'rotated-access', refresh_token = 'rotated-refresh',
        token_expires_at = '2031-01-01T00:00:00Z', updated_at = '2025-01-01T00:00:00Z' where user_id = 2;
      insert into provider_connections (user_id, provider, provider_user_id, access_token, refresh_token, token_expires_at,
                                        scopes, provider_profile, created_at, updated_at)
      values (3, 'strava', '3003', 'new-access', 'new-refresh', '2031-01-01T00:00:00Z', '{read,profile:read_all}',
              '{"firstname": "Chloé", "lastname": "Zoë"}', '2025-02-01T00:00:00Z', '2025-02-01T00:00:00Z');
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type)
      select 3, id, 'strava', '6000000001', 'New ride', 'ride', 'Ride' from provider_connections where provider_user_id = '3003';
      insert into provider_connections (user_id, provider, provider_user_id, access_token)
      values (5, 'garmin', 'garmin-user-5', 'garmin-token');
    `);
    // The Garmin connection and its token cannot go back to the legacy schema: refused unless forced.
    await expect(migrate(t.input, { direction: 'down', to: '001' })).rejects.toThrow(
      /provider_connections: 1 garmin connection\(s\) with their tokens/,
    );
    await migrate(t.input, { direction: 'down', to: '001', force: true });

    const after = await legacyRows(t.db);
    expect(after.users).toEqual(before.users);
    const connections = after.strava_connections as Record<string, unknown>[];
    const legacyConnections = before.strava_connections as Record<string, unknown>[];
    expect(connections.filter((c) => c.user_id !== 2 && c.user_id !== 3)).toEqual(
      legacyConnections.filter((c) => c.user_id !== 2),
    );
    const bob = connections.find((c) => c.user_id === 2)!;
    expect({ ...bob, expires_at: iso(bob.expires_at), updated_at: iso(bob.updated_at) }).toEqual({
      ...legacyConnections.find((c) => c.user_id === 2),
      access_token: 'rotated-access',
      refresh_token: 'rotated-refresh',
      expires_at: '2031-01-01T00:00:00.000Z',
      updated_at: '2025-01-01T00:00:00.000Z',
    });
    expect(connections.find((c) => c.user_id === 3)).toMatchObject({
      strava_athlete_id: kind === 'postgres' ? '3003' : 3003,
      access_token: 'new-access',
      scope: 'read,profile:read_all',
      firstname: 'Chloé',
    });
    const activities = after.activities as Record<string, unknown>[];
    expect(activities.filter((a) => (a.id as number) <= 12)).toEqual(before.activities);
    expect(activities.find((a) => a.name === 'New ride')).toMatchObject({ sport_type: 'Ride' });
    expect(String(activities.find((a) => a.name === 'New ride')!.strava_activity_id)).toBe('6000000001');

    // Down again changes nothing; the schema is the legacy one again.
    const reverted = await snapshot(t.db);
    await t.db.exec(DOWN);
    expect(await snapshot(t.db)).toEqual(reverted);
    const catalog = ({ data: _data, sequences: _sequences, ...rest }: Record<string, unknown>) => rest;
    expect(catalog(reverted)).toEqual(catalog(legacySchema));
  });
});
