import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { INDOOR_SPORT_TYPES, SPORT_TYPE_DEFINITIONS, SPORT_TYPE_FAMILIES } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import { MigrationDownRefusedError, migrate, migrationsDir, planDown } from '../src/index.js';
import { kinds, snapshot, useTestDatabase } from './helpers.js';

// Migration 014: the same workout from several providers is grouped (never deleted), with evidence, on every
// write to `activities` (statement triggers) and by trainlytics_dedupe; people's decisions win.

const SETUP = `
  insert into users (id, email) values (1, 'ana@example.com'), (2, 'bob@example.com');
  insert into provider_connections (id, user_id, provider, provider_user_id, access_token) values
    (1, 1, 'garmin', 'g-ana', 't'), (2, 1, 'strava', 's-ana', 't'), (3, 2, 'strava', 's-bob', 't'),
    (4, 1, 'polar', 'p-ana', 't');
  -- matching on write is on by default since 017 (the test that turns it off says so)
`;

/** One activity row: id, connection, provider id, sport, start, seconds, metres, raw, calories. */
function activity(
  id: number,
  connection: number,
  pid: string,
  sport: string,
  start: string,
  seconds: number,
  metres: number | null,
  raw: object = {},
  calories: number | null = null,
): string {
  const user = connection === 3 ? 2 : 1;
  const provider = { 1: 'garmin', 2: 'strava', 3: 'strava', 4: 'polar' }[connection];
  return `(${id}, ${user}, ${connection}, '${provider}', '${pid}', '${sport} ${id}', '${sport}', '${start}', ${seconds}, ${
    metres ?? 'null'
  }, '${JSON.stringify(raw)}', ${calories ?? 'null'})`;
}
const INSERT = `insert into activities (id, user_id, connection_id, provider, provider_activity_id, name, sport_type,
  start_date, elapsed_time_s, distance_m, raw, calories) values `;

describe.each(kinds)('014 activity dedupe, on %s', (kind) => {
  const t = useTestDatabase(kind);
  const groups = async () =>
    (
      await t.rows<{ ids: number[] }>(
        `select array_agg(activity_id order by member_rank) as ids from activity_group_members
         group by group_id order by min(activity_id)`,
      )
    ).map((r) => r.ids);

  async function up() {
    await migrate(t.input);
    await t.db.exec(SETUP);
  }

  it('the SQL sport families are core’s, for every sport of the vocabulary', async () => {
    await migrate(t.input);
    const ids = SPORT_TYPE_DEFINITIONS.map((d) => d.id);
    const rows = await t.rows<{ sport: string; family: string; indoor: boolean }>(
      `select s as sport, trainlytics_sport_family(s) as family, trainlytics_sport_indoor(s) as indoor
       from unnest($1::text[]) s`,
      [ids],
    );
    expect(Object.fromEntries(rows.map((r) => [r.sport, r.family]))).toEqual(SPORT_TYPE_FAMILIES);
    expect(rows.filter((r) => r.indoor).map((r) => r.sport)).toEqual([...INDOOR_SPORT_TYPES]);
  });

  it('groups a Garmin run and its Strava upload (external id), a ride by time; never a run with a ride, two users or one connection', async () => {
    await up();
    await t.db.exec(
      INSERT +
        [
          activity(
            1,
            1,
            '9001-detail',
            'run',
            '2026-01-01T07:00:00Z',
            3600,
            10000,
            { activityId: 12345678901 },
            700,
          ),
          // Strava's copy starts 20 min later (a wrong clock): only the external id can tell
          activity(2, 2, '555', 'run', '2026-01-01T07:20:00Z', 3600, 10010, {
            external_id: 'garmin_push_12345678901',
          }),
          activity(3, 1, '9002', 'ride', '2026-01-02T07:00:00Z', 3600, 30000),
          activity(4, 2, '556', 'ride', '2026-01-02T07:01:00Z', 3500, 29500),
          activity(5, 2, '557', 'run', '2026-01-02T07:00:30Z', 3500, 10000),
          activity(6, 3, '558', 'ride', '2026-01-02T07:00:00Z', 3600, 30000),
          activity(7, 1, '9003', 'ride', '2026-01-02T07:02:00Z', 3600, 30000),
        ].join(', '),
    );
    expect(await groups()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const evidence = await t.rows<{ activity_id: number; score: number; evidence: Record<string, unknown> }>(
      'select activity_id, score, evidence from activity_matches order by activity_id',
    );
    expect(evidence[0]).toMatchObject({
      activity_id: 1,
      score: 1,
      evidence: { rule: 'external_id', external_id: 'garmin_push_12345678901', matched_id: '12345678901' },
    });
    expect(evidence[1]).toMatchObject({
      activity_id: 3,
      evidence: { rule: 'time_overlap', start_delta_s: 60, sports: ['ride', 'ride'] },
    });
    expect(evidence[1]!.score).toBeGreaterThanOrEqual(0.7);

    // One row per workout, richer values kept (the Strava copy has no calories), both providers named.
    const canonical = await t.rows(
      'select id, provider, providers::text[] as providers, activity_ids, calories from canonical_activities order by id',
    );
    expect(canonical).toEqual([
      { id: 1, provider: 'garmin', providers: ['garmin', 'strava'], activity_ids: [1, 2], calories: 700 },
      { id: 3, provider: 'garmin', providers: ['garmin', 'strava'], activity_ids: [3, 4], calories: null },
      { id: 5, provider: 'strava', providers: ['strava'], activity_ids: [5], calories: null },
      { id: 6, provider: 'strava', providers: ['strava'], activity_ids: [6], calories: null },
      { id: 7, provider: 'garmin', providers: ['garmin'], activity_ids: [7], calories: null },
    ]);
    expect((await t.rows('select id from recent_activities where user_id = 1')).map((r) => r.id)).toEqual([
      7, 5, 3, 1,
    ]);
    expect(await t.rows('select user_id, activity_count from user_connections_summary order by 1')).toEqual([
      { user_id: 1, activity_count: 4 },
      { user_id: 2, activity_count: 1 },
    ]);

    // Deleting a copy dissolves its group (the delete trigger re-matches).
    await t.db.exec('delete from activities where id = 4');
    expect(await groups()).toEqual([[1, 2]]);
  });

  it('matches on write by default (017); with the policy off it does not, and trainlytics_dedupe groups what is stored', async () => {
    await migrate(t.input);
    await t.db.exec(SETUP);
    expect(
      (await t.rows<{ incremental: boolean }>('select incremental from trainlytics_dedupe_policy'))[0],
    ).toEqual({
      incremental: true,
    });
    await t.db.exec('update trainlytics_dedupe_policy set incremental = false');
    const page = (connection: number, activities: object[]) =>
      t.db.query('select trainlytics_commit_page($1::jsonb) as r', [
        JSON.stringify({ connection_id: connection, activities }),
      ]);
    const ride = {
      sport_type: 'ride',
      start_date: '2026-02-01T08:00:00Z',
      elapsed_time_s: 3600,
      distance_m: 30000,
    };
    await page(1, [{ ...ride, provider_activity_id: 'g1' }]);
    await page(2, [{ ...ride, provider_activity_id: 's1', start_date: '2026-02-01T08:00:20Z' }]);
    expect(await groups()).toEqual([]);
    await t.rows(`select trainlytics_dedupe('{}'::jsonb)`);
    expect((await groups()).map((g) => g.length)).toEqual([2]);
    // a session (here one transaction) may still ask for it
    const commit = (connection: number, id: string, start: string) =>
      `select trainlytics_commit_page('${JSON.stringify({
        connection_id: connection,
        activities: [{ ...ride, provider_activity_id: id, start_date: start }],
      })}'::jsonb);`;
    await t.db.exec(
      `begin; set local trainlytics.dedupe = 'on'; ${commit(1, 'g2', '2026-02-03T08:00:00Z')} ${commit(2, 's2', '2026-02-03T08:00:10Z')} commit;`,
    );
    expect((await groups()).map((g) => g.length)).toEqual([2, 2]);
  });

  it('a page commit matches in the same transaction, and Polar → Strava with a clock skew and an indoor ride', async () => {
    await up();
    const page = (connection: number, activities: object[]) =>
      t.db.query('select trainlytics_commit_page($1::jsonb) as r', [
        JSON.stringify({ connection_id: connection, activities }),
      ]);
    await page(4, [
      {
        provider_activity_id: 'aQlC83',
        sport_type: 'indoor_ride',
        start_date: '2026-02-01T18:00:40Z',
        elapsed_time_s: 2700,
        distance_m: 0,
        average_heartrate: 141,
      },
    ]);
    await page(2, [
      {
        provider_activity_id: '777',
        sport_type: 'virtual_ride',
        start_date: '2026-02-01T18:00:00Z',
        elapsed_time_s: 2760,
        distance_m: 24000,
        raw: { external_id: 'zwift-activity-1.fit' },
      },
    ]);
    const rows = await t.rows<{ providers: string[]; average_heartrate: number; distance_m: number }>(
      'select providers::text[] as providers, average_heartrate, distance_m from canonical_activities',
    );
    expect(rows).toEqual([{ providers: ['polar', 'strava'], average_heartrate: 141, distance_m: 0 }]);
  });

  it('moving an activity away re-matches the neighbours it left, even those it was not grouped with (017)', async () => {
    await up();
    // garmin D2 (id 1) at 0 s and D (2) at 60 s; strava Y (3) at 0 s, B (4) at 25 s, X (5) at 100 s; all 1 h, 10 km.
    // B prefers D2, which prefers Y: B is in no group, yet D prefers B to X, so X and D stay apart while B is there.
    const at = (s: number) => new Date(Date.UTC(2026, 3, 1, 7, 0, s)).toISOString();
    await t.db.exec(
      `${INSERT} ${[
        activity(1, 1, 'd2', 'run', at(0), 3600, 10000),
        activity(2, 1, 'd', 'run', at(60), 3600, 10000),
        activity(3, 2, 'y', 'run', at(0), 3600, 10000),
        activity(4, 2, 'b', 'run', at(25), 3600, 10000),
        activity(5, 2, 'x', 'run', at(100), 3600, 10000),
      ].join(', ')}`,
    );
    expect(await groups()).toEqual([[1, 3]]);
    // B's clock was two days off: once it leaves, D and X are each other's best (only B's old neighbours show it)
    await t.db.exec(`update activities set start_date = start_date + interval '2 days' where id = 4`);
    expect(await groups()).toEqual([
      [1, 3],
      [2, 5],
    ]);
    await t.rows(`select trainlytics_dedupe('{}'::jsonb)`);
    expect(await groups()).toEqual([
      [1, 3],
      [2, 5],
    ]);
  });

  it('a person’s unlink and link survive every re-run; link refuses one connection and two users', async () => {
    await up();
    await t.db.exec(
      INSERT +
        [
          activity(1, 1, 'g1', 'run', '2026-03-01T07:00:00Z', 3600, 10000),
          activity(2, 2, 's1', 'run', '2026-03-01T07:00:05Z', 3600, 10000),
          activity(3, 1, 'g2', 'walk', '2026-03-02T07:00:00Z', 1800, 2000),
          activity(4, 2, 's2', 'hike', '2026-03-02T09:00:00Z', 1800, 2000),
          activity(5, 1, 'g3', 'run', '2026-03-03T07:00:00Z', 1800, 5000),
          activity(6, 3, 's3', 'run', '2026-03-03T07:00:00Z', 1800, 5000),
        ].join(', '),
    );
    expect(await groups()).toEqual([[1, 2]]);
    const decide = (a: number, b: number, decision: string) =>
      t.db.query('select trainlytics_decide_match($1::jsonb) as r', [
        JSON.stringify({ activity_id: a, other_activity_id: b, decision }),
      ]);
    await decide(2, 1, 'unlink');
    await decide(3, 4, 'link');
    expect(await groups()).toEqual([[3, 4]]);
    await t.rows(`select trainlytics_dedupe('{"user_id": 1}'::jsonb)`);
    await t.db.exec(`update activities set name = 'renamed', distance_m = 10001 where id in (1, 2)`);
    await t.rows(`select trainlytics_dedupe('{}'::jsonb)`);
    expect(await groups()).toEqual([[3, 4]]);
    const manual = await t.rows('select activity_id, manual, evidence from activity_matches');
    expect(manual).toEqual([
      { activity_id: 3, manual: true, evidence: { rule: 'manual', decision: 'link' } },
    ]);

    await expect(decide(1, 3, 'link')).rejects.toMatchObject({ code: 'TL410' });
    await expect(decide(5, 6, 'link')).rejects.toMatchObject({ code: 'TL410' });
    await expect(decide(5, 99, 'link')).rejects.toMatchObject({ code: 'TL404' });
    await expect(decide(1, 2, 'merge')).rejects.toMatchObject({ code: 'TL422' });
  });

  it('down refuses to lose people’s decisions, and is lossless otherwise', async () => {
    await up();
    await t.db.exec(
      INSERT +
        [
          activity(1, 1, 'g1', 'run', '2026-03-01T07:00:00Z', 3600, 10000),
          activity(2, 2, 's1', 'run', '2026-03-01T07:00:05Z', 3600, 10000),
        ].join(', '),
    );
    const before = await snapshot(t.db);
    await migrate(t.input, { direction: 'down', to: '012' });
    expect((await t.rows('select count(*)::int as n from recent_activities'))[0]!.n).toBe(2);
    await migrate(t.input);
    await t.rows(`select trainlytics_dedupe('{}'::jsonb)`);
    const after = await snapshot(t.db);
    const strip = (s: Record<string, unknown>) =>
      JSON.stringify((s as { data: Record<string, string[]> }).data, (k, v) =>
        [
          'trainlytics_migrations',
          'trainlytics_definitions',
          'activity_matches',
          'trainlytics_dedupe_policy',
        ].includes(k)
          ? undefined
          : v,
      );
    expect(strip(after)).toEqual(strip(before));

    await t.rows(
      `select trainlytics_decide_match('{"activity_id": 1, "other_activity_id": 2, "decision": "unlink"}'::jsonb)`,
    );
    const plan = await planDown(t.input, { to: '012' });
    expect(plan.losses).toEqual([
      {
        file: '014_activity_dedupe.down.sql',
        lost: ['activity_match_decisions: 1 link/unlink decision(s) made by people'],
      },
    ]);
    await expect(migrate(t.input, { direction: 'down', to: '012' })).rejects.toBeInstanceOf(
      MigrationDownRefusedError,
    );
    const down = await readFile(path.join(migrationsDir, '014_activity_dedupe.down.sql'), 'utf8');
    await expect(t.db.exec(down)).rejects.toThrow(/^Reverting 014_activity_dedupe would lose data/);
    await t.db.exec('rollback');
  });
});
