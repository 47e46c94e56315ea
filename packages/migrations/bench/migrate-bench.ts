/**
 * Migration benchmark: a legacy database with 10,000 users, 10,000 Strava
 * connections and 1,000,000 activities on a real PostgreSQL server, migrated
 * with `migrate()`; prints wall time, server-side time per file, and peak RSS.
 *
 *   npm run bench -w @trainlytics/migrations
 *   BENCH_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_ACTIVITIES=1000000 npm run bench -w @trainlytics/migrations
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, migrationsDir, planDown, verify } from '../src/index.js';

const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const ACTIVITIES = Number(process.env.BENCH_ACTIVITIES ?? 1_000_000);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label.padEnd(44)} ${seconds(performance.now() - started)}`);
  return result;
}

const name = `tl_mig_bench_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`create database ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const client = new pg.Client({ connectionString: url.toString() });
await client.connect();

try {
  const server = (await client.query('show server_version')).rows[0].server_version;
  console.log(
    `PostgreSQL ${server}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
      `load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
  console.log(`Seeding ${USERS} users, ${USERS} Strava connections, ${ACTIVITIES} activities…`);
  await timed('seed legacy schema (set-based)', async () => {
    await client.query(await readFile(path.join(migrationsDir, '001_legacy.sql'), 'utf8'));
    await client.query(`
      insert into users (email, first_name, last_name)
      select 'athlete' || g || '@example.com', 'First' || g, case when g % 10 = 0 then null else 'Last' || g end
      from generate_series(1, ${USERS}) g;
      insert into strava_connections (user_id, strava_athlete_id, access_token, refresh_token, expires_at, scope,
                                      firstname, lastname, profile_url, profile_picture)
      select g, 100000 + g, md5('a' || g), md5('r' || g), now() + (g % 7 - 3) * interval '1 hour',
             'read,activity:read_all', 'First' || g, 'Last' || g, 'https://www.strava.com/athletes/' || (100000 + g),
             'https://example.com/p/' || g || '.jpg'
      from generate_series(1, ${USERS}) g;
      insert into activities (user_id, strava_activity_id, name, sport_type, start_date, distance_m, moving_time_s,
                              elapsed_time_s, total_elevation_gain_m, average_heartrate, is_manual, raw)
      select 1 + g % ${USERS},
             case when g % 50 = 0 then null else 10000000000 + g end,
             'Activity ' || g,
             (array['Run', 'Ride', 'TrailRun', 'VirtualRide', 'Swim', 'Walk', 'WeightTraining', 'Yoga', 'Kayaking',
                    'MountainBikeRide', 'Hike', 'AlpineSki'])[1 + g % 12],
             timestamptz '2018-01-01' + g * interval '157 seconds',
             (g % 40000)::float8, 600 + g % 7200, 700 + g % 8000, (g % 900)::float8,
             case when g % 4 = 0 then null else 110 + g % 70 end,
             g % 50 = 0,
             case when g % 2 = 0 then jsonb_build_object(
               'id', 10000000000 + g, 'start_date_local',
               to_char(timestamp '2018-01-01' + g * interval '157 seconds' + interval '2 hours', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
               'utc_offset', 7200.0, 'max_heartrate', 150 + g % 50, 'average_speed', 3.2, 'max_speed', 6.4,
               'map', jsonb_build_object('summary_polyline', repeat('a~l~Fjk~uOwHJy@P', 8)))
             end
      from generate_series(1, ${ACTIVITIES}) g;
      analyze;
    `);
  });
  const size = (await client.query(`select pg_size_pretty(pg_database_size(current_database())) as s`))
    .rows[0].s;
  console.log(`legacy database size: ${size}`);

  const rssBefore = process.memoryUsage().rss;
  peakRss = rssBefore;
  const result = await timed('migrate up (001 adopt + 002 + later files)', () => migrate(url.toString()));
  for (const step of result.steps) console.log(`  ${step.file.padEnd(42)} ${seconds(step.durationMs)}`);
  const migratePeak = peakRss;

  const checks = await timed('verify', () => verify(url.toString()));
  for (const check of checks) console.log(`  ${check.ok ? 'pass' : 'FAIL'}  ${check.check}: ${check.detail}`);

  const upSql = await readFile(path.join(migrationsDir, '002_multi_provider.sql'), 'utf8');
  await timed('002 re-run on the migrated database (no-op)', () => client.query(upSql));
  const sportsSql = await readFile(path.join(migrationsDir, '006_client_roles_sport_types.sql'), 'utf8');
  await timed('006 re-run on the migrated database (no-op)', () => client.query(sportsSql));
  const plan = await timed('planDown --to 001 (every down guard, rolled back)', () =>
    planDown(url.toString(), { to: '001' }),
  );
  console.log(`  ${plan.files.length} down files; losses: ${JSON.stringify(plan.losses)}`);

  const linked = (
    await client.query(`select count(*)::int as n from activities where connection_id is not null`)
  ).rows[0].n;
  const after = (await client.query(`select pg_size_pretty(pg_database_size(current_database())) as s`))
    .rows[0].s;
  console.log(`linked activities: ${linked}; database size after: ${after}`);
  console.log(`runner process RSS: ${mb(rssBefore)} before, peak ${mb(migratePeak)} during migrate`);
  console.log(`process max RSS (whole run): ${mb(process.resourceUsage().maxRSS * 1024)}`);
  if (!checks.every((c) => c.ok)) process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await client.end();
  if (!process.env.BENCH_KEEP) await admin.query(`drop database if exists ${name} with (force)`);
  else console.log(`kept database ${name}`);
  await admin.end();
}
