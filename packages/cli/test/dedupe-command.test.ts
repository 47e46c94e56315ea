import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli';

// `trainlytics dedupe`: re-matches what is stored (a database migrated before 014 holds unmatched copies).

let cwd: string;
let database: TestDatabase;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-dedupe-'));
  database = await createTestDatabase({ prefix: 'tl_cli_dedupe' });
});
afterAll(async () => {
  await database?.drop();
  await rm(cwd, { recursive: true, force: true });
});

describe('trainlytics dedupe', () => {
  it.each([
    [[], /exactly one of --all .* or --user <id>/],
    [['--all', '--user', '1'], /exactly one of --all/],
    [['--user', 'x'], /--user must be a positive integer/],
    [['--bogus'], /unknown option '--bogus'/],
  ])('dedupe %j is a usage error: one line, exit 2', async (args, says) => {
    const run = await runCli(['dedupe', ...args], { cwd, env: { DATABASE_URL: database.connectionString } });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(says)]);
    expect(run.stdout).toBe('');
  });

  it('--all groups the copies stored without matching, --json prints one object, a re-run changes nothing', async () => {
    const env = { DATABASE_URL: database.connectionString };
    expect((await runCli(['migrate', 'up'], { cwd, env })).code).toBe(0);
    const pool = new pg.Pool({ connectionString: database.connectionString, max: 1 });
    try {
      await pool.query(`
        alter table activities disable trigger activities_dedupe_insert;
        insert into users (id, email) values (1, 'ana@example.com'), (2, 'bob@example.com');
        insert into provider_connections (id, user_id, provider, provider_user_id, access_token) values
          (1, 1, 'garmin', 'g-ana', 't'), (2, 1, 'strava', 's-ana', 't'), (3, 2, 'strava', 's-bob', 't');
        insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                                elapsed_time_s, distance_m, raw) values
          (1, 1, 'garmin', 'g1', 'run', '2026-05-01T07:00:00Z', 3600, 10000, '{"activityId": 99887766}'),
          (1, 2, 'strava', 's1', 'run', '2026-05-01T07:00:00Z', 3600, 10000, '{"external_id": "garmin_push_99887766"}'),
          (1, 1, 'garmin', 'g2', 'ride', '2026-05-02T07:00:00Z', 3600, 30000, '{}'),
          (1, 2, 'strava', 's2', 'ride', '2026-05-02T07:00:20Z', 3590, 29900, '{}'),
          (2, 3, 'strava', 's3', 'ride', '2026-05-02T07:00:00Z', 3600, 30000, '{}');
        alter table activities enable trigger activities_dedupe_insert;
      `);
      const before = await pool.query('select count(*)::int as n from recent_activities');
      expect(before.rows[0].n).toBe(5);

      const run = await runCli(['dedupe', '--all', '--json'], { cwd, env });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ users: 2, activities: 5, groups: 2, grouped: 4, matches: 2 });
      const after = await pool.query('select count(*)::int as n from recent_activities');
      expect(after.rows[0].n).toBe(3);

      const again = await runCli(['dedupe', '--user', '1'], { cwd, env });
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        /^Matched 4 activities of 1 user\(s\): 2 workout\(s\) stored by more than one provider/,
      );
      expect((await pool.query('select count(*)::int as n from recent_activities')).rows[0].n).toBe(3);
    } finally {
      await pool.end();
    }
  });
});
