import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SPORT_TYPES } from '@trainlytics/core';
// The plugin is the one source of truth for Strava sports. It is imported through the workspace and not
// declared as a devDependency: @trainlytics/provider-strava already depends on this package (its tests
// migrate), and a declared dependency back would be a cycle in the build graph.
import { mapStravaActivity, STRAVA_SPORT_TYPES } from '@trainlytics/provider-strava';
import { describe, expect, it } from 'vitest';
import { migrate, migrationsDir } from '../src/index.js';
import { kinds, snapshot, useTestDatabase } from './helpers.js';

/**
 * Every name the plugin knows, in another case too (except a value already in the normalized vocabulary, such
 * as `ride`: 002 keeps those as they are), and one it does not know; on a trainer or not.
 */
function legacyActivities() {
  const names = Object.keys(STRAVA_SPORT_TYPES);
  const vocabulary: readonly string[] = SPORT_TYPES;
  const otherCase = names.map((n) => n.toLowerCase()).filter((n) => !vocabulary.includes(n));
  const all = [...names, ...otherCase, 'Padel'];
  return all.flatMap((name, i) =>
    [false, true].map((trainer, j) => {
      const id = 7_000_000_000 + i * 2 + j;
      const raw = {
        id,
        name: `${name}${trainer ? ' (trainer)' : ''}`,
        sport_type: name,
        type: name,
        trainer,
        start_date: '2024-01-01T10:00:00Z',
        start_date_local: '2024-01-01T11:00:00Z',
        utc_offset: 3600,
      };
      return { id, name, raw, expected: mapStravaActivity(raw, raw).sportType };
    }),
  );
}

describe.each(kinds)('Strava sport types: migrations and plugin agree, on %s', (kind) => {
  const t = useTestDatabase(kind);

  it('a migrated legacy activity has the sport the plugin gives it, for every Strava sport type', async () => {
    const activities = legacyActivities();
    await migrate(t.input, { to: '001' });
    await t.db.query(`insert into users (id, email) values (1, 'sports@example.com')`);
    await t.db.query(
      `insert into strava_connections (user_id, strava_athlete_id, access_token, refresh_token, expires_at)
       values (1, 42, 'a', 'r', now())`,
    );
    await t.db.query(
      `insert into activities (user_id, strava_activity_id, name, sport_type, start_date, raw)
       select 1, (a ->> 'id')::bigint, a ->> 'name', a ->> 'sport_type', (a ->> 'start_date')::timestamptz, a
       from jsonb_array_elements($1::jsonb) a`,
      [JSON.stringify(activities.map((a) => a.raw))],
    );
    await migrate(t.input);

    const rows = await t.rows<{ id: string; sport_type: string; provider_sport_type: string }>(
      'select provider_activity_id as id, sport_type, provider_sport_type from activities',
    );
    const migrated = new Map(rows.map((r) => [r.id, r]));
    const disagreements = activities
      .filter((a) => migrated.get(String(a.id))?.sport_type !== a.expected)
      .map((a) => `${a.raw.name}: migration ${migrated.get(String(a.id))?.sport_type}, plugin ${a.expected}`);
    expect(disagreements).toEqual([]);
    expect(rows.every((r) => (SPORT_TYPES as readonly string[]).includes(r.sport_type))).toBe(true);
    expect(rows.every((r) => r.provider_sport_type === migrated.get(r.id)!.provider_sport_type)).toBe(true);
  });

  it('006 re-maps rows migrated or synced with a superseded mapping, leaves every other row, and re-runs as a no-op', async () => {
    await migrate(t.input, { to: '001' });
    await t.db.exec(`
      insert into users (id, email) values (1, 'sports@example.com');
      insert into strava_connections (user_id, strava_athlete_id, access_token, refresh_token, expires_at)
      values (1, 42, 'a', 'r', now());
      insert into activities (user_id, strava_activity_id, name, sport_type, raw) values
        (1, 1, 'legacy crossfit', 'Crossfit', null),
        (1, 2, 'legacy snowshoe', 'Snowshoe', '{"sport_type": "Snowshoe"}'),
        (1, 3, 'legacy trainer ride', 'Ride', '{"sport_type": "Ride", "trainer": true}'),
        (1, 4, 'legacy road ride', 'Ride', '{"sport_type": "Ride", "trainer": false}');
    `);
    // A database that migrated with 002's mapping and then synced with the plugin before BackcountrySki changed.
    await migrate(t.input, { to: '005' });
    await t.db.exec(`
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type, raw)
      select 1, id, 'strava', '10', 'synced touring', 'alpine_ski', 'BackcountrySki', '{"sport_type": "BackcountrySki"}'
      from provider_connections;
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type)
      select 1, id, 'strava', '11', 'set by the app', 'walk', 'Snowshoe' from provider_connections;
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type)
      select 1, id, 'garmin', '12', 'not Strava', 'strength_training', 'Crossfit' from provider_connections;
    `);
    const sports = async () =>
      Object.fromEntries(
        (await t.rows<{ name: string; sport_type: string }>('select name, sport_type from activities')).map(
          (r) => [r.name, r.sport_type],
        ),
      );
    expect(await sports()).toEqual({
      'legacy crossfit': 'strength_training',
      'legacy snowshoe': 'other',
      'legacy trainer ride': 'ride',
      'legacy road ride': 'ride',
      'synced touring': 'alpine_ski',
      'set by the app': 'walk',
      'not Strava': 'strength_training',
    });
    await migrate(t.input);
    expect(await sports()).toEqual({
      'legacy crossfit': 'hiit',
      'legacy snowshoe': 'hike',
      'legacy trainer ride': 'indoor_ride',
      'legacy road ride': 'ride',
      'synced touring': 'cross_country_ski',
      'set by the app': 'walk',
      'not Strava': 'strength_training',
    });
    const once = await snapshot(t.db);
    await t.db.exec(await readFile(path.join(migrationsDir, '006_client_roles_sport_types.sql'), 'utf8'));
    expect(await snapshot(t.db)).toEqual(once);
  });
});
