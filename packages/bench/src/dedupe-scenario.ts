import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@trainlytics/core/testing';
import type pg from 'pg';
import { dedupeAllUsers, insertAthletes, tempBytes } from './dedupe-batch-scenario';
import { peakRssMiB } from './measure';

/**
 * Cross-provider matching (migration 014, ADR 0024) at scale, on real PostgreSQL:
 *
 * - **batch**: `users` athletes × 100 activities on Garmin, Strava and Polar (a third of them the same workout
 *   twice: Garmin and its Strava upload, half with `external_id`), loaded with matching off, then matched by
 *   `trainlytics_dedupe` in batches of 500 users, as `trainlytics dedupe --all` does. Wall time, Node peak
 *   RSS (the work is set-based, in the server), the server's temporary-file bytes.
 * - **incremental**: the added cost of matching on a page write (migration 017): `pages` pages of 200 new
 *   Strava activities through `trainlytics_commit_page`, alternately with matching on (the default) and with
 *   `trainlytics.dedupe = 'off'`, on an athlete with 10,000 stored Garmin activities: pages whose every
 *   activity is the copy of a stored workout (the worst case), and pages of workouts recorded on Strava alone
 *   (no stored activity within the tolerance: the common page).
 *
 * `node --import tsx src/dedupe-scenario.ts <users> <pages>` prints one JSON line; `npm run bench` runs it
 * through `runDedupeBench` (10,000 users = 1,000,000 activities; `BENCH_QUICK=1`: 200 users).
 */
export interface DedupeBenchResult {
  users: number;
  activities: number;
  loadMs: number;
  batchMs: number;
  groups: number;
  grouped: number;
  tempMiB: number;
  peakRssMiB: number;
  pages: number;
  pageSize: number;
  pageMsOff: number;
  pageMsOn: number;
  /** pages whose activities match nothing stored */
  aloneMsOff: number;
  aloneMsOn: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(users: number, pages: number): Promise<DedupeBenchResult> {
  const database = await createTestDatabase({ migrate: true, prefix: 'tl_bench_dedupe' });
  const pool = database.pool as pg.Pool;
  try {
    // users × (34 Garmin + 33 Strava copies, 17 of them with external_id + 33 Polar) = 100 per user
    const loadStart = performance.now();
    await insertAthletes(pool, users);
    const client = await pool.connect();
    try {
      await client.query(`set trainlytics.dedupe = 'off'`);
      await client.query(`
        insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                                elapsed_time_s, distance_m, raw)
        select c.user_id, c.id, 'garmin', (c.user_id * 1000 + d)::text, case when d % 3 = 0 then 'ride' else 'run' end,
               timestamptz '2025-01-01 06:00Z' + (d * 2) * interval '1 day' + (c.user_id % 90) * interval '1 minute',
               1800 + (d * 37) % 3600, 5000 + (d * 997) % 20000, jsonb_build_object('activityId', c.user_id * 1000 + d)
        from provider_connections c cross join generate_series(1, 34) d where c.provider = 'garmin';
        insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                                elapsed_time_s, distance_m, raw)
        select c.user_id, c.id, 'strava', 's' || (c.user_id * 1000 + d), case when d % 3 = 0 then 'ride' else 'run' end,
               timestamptz '2025-01-01 06:00:02Z' + (d * 2) * interval '1 day' + (c.user_id % 90) * interval '1 minute',
               1800 + (d * 37) % 3600 - 3, 5000 + (d * 997) % 20000 + 10,
               case when d % 2 = 0 then jsonb_build_object('external_id', 'garmin_push_' || (c.user_id * 1000 + d)) else '{}' end
        from provider_connections c cross join generate_series(1, 33) d where c.provider = 'strava';
        insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                                elapsed_time_s, distance_m, raw)
        select c.user_id, c.id, 'polar', 'p' || (c.user_id * 1000 + d), 'run',
               timestamptz '2025-01-02 18:00Z' + (d * 2) * interval '1 day', 2400, 8000, '{}'
        from provider_connections c cross join generate_series(1, 33) d where c.provider = 'polar';`);
      await client.query(`reset trainlytics.dedupe`);
    } finally {
      client.release();
    }
    await pool.query('analyze');
    const loadMs = performance.now() - loadStart;
    const activities = Number((await pool.query('select count(*)::int as n from activities')).rows[0].n);

    const tempBefore = await tempBytes(pool);
    const batchStart = performance.now();
    const { groups, grouped } = await dedupeAllUsers(pool);
    const batchMs = performance.now() - batchStart;
    const tempMiB = Math.round(((await tempBytes(pool)) - tempBefore) / 2 ** 20);

    // Incremental: an athlete with 10,000 stored Garmin activities; pages of 200 Strava copies of them.
    const pageSize = 200;
    const big = users + 1;
    await pool.query(`
      insert into users (id, email) values (${big}, 'big@example.com');
      insert into provider_connections (user_id, provider, provider_user_id, access_token)
      values (${big}, 'garmin', 'g-big', 't'), (${big}, 'strava', 's-big', 't');
      set trainlytics.dedupe = 'off';`);
    const page = await pool.connect();
    try {
      await page.query(`set trainlytics.dedupe = 'off'`);
      await page.query(`
        insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                                elapsed_time_s, distance_m, raw)
        select ${big}, c.id, 'garmin', 'gb' || d, 'run', timestamptz '2020-01-01 06:00Z' + d * interval '4 hours',
               3000, 10000, '{}'
        from provider_connections c cross join generate_series(1, 10000) d
        where c.user_id = ${big} and c.provider = 'garmin'`);
      await page.query('analyze activities');
      const strava = Number(
        (
          await page.query(
            `select id from provider_connections where user_id = ${big} and provider = 'strava'`,
          )
        ).rows[0].id,
      );
      // copies of stored workouts (2 s later), or workouts of their own (2 h away from every stored one)
      const replay = async (prefix: string, offsetMs: number) => {
        const off: number[] = [];
        const on: number[] = [];
        for (let p = 0; p < pages * 2; p++) {
          const matching = p % 2 === 1;
          await page.query(`set trainlytics.dedupe = '${matching ? 'on' : 'off'}'`);
          const activitiesJson = Array.from({ length: pageSize }, (_, i) => {
            const d = (p * pageSize + i) % 10000;
            return {
              provider_activity_id: `${prefix}-${p}-${i}`,
              sport_type: 'run',
              start_date: new Date(Date.UTC(2020, 0, 1, 6) + d * 4 * 3_600_000 + offsetMs).toISOString(),
              elapsed_time_s: 2995,
              distance_m: 10010,
            };
          });
          const started = performance.now();
          await page.query('select trainlytics_commit_page($1::jsonb)', [
            JSON.stringify({ connection_id: strava, activities: activitiesJson }),
          ]);
          (matching ? on : off).push(performance.now() - started);
        }
        return { off: median(off), on: median(on) };
      };
      const copies = await replay('sb', 2000);
      const alone = await replay('sn', 2 * 3_600_000);
      return {
        users,
        activities,
        loadMs,
        batchMs,
        groups,
        grouped,
        tempMiB,
        peakRssMiB: peakRssMiB(),
        pages,
        pageSize,
        pageMsOff: copies.off,
        pageMsOn: copies.on,
        aloneMsOff: alone.off,
        aloneMsOn: alone.on,
      };
    } finally {
      page.release();
    }
  } finally {
    await database.drop();
  }
}

/** Runs the scenario in its own process and returns its Markdown section for `npm run bench`. */
export function runDedupeBench(quick: boolean): Promise<string> {
  const users = quick ? 200 : 10_000;
  const pages = quick ? 3 : 10;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@trainlytics/source',
        fileURLToPath(import.meta.url),
        String(users),
        String(pages),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`dedupe scenario failed (exit ${code})`));
      resolve(formatDedupe(JSON.parse(out.trim().split('\n').at(-1)!) as DedupeBenchResult));
    });
  });
}

export function formatDedupe(r: DedupeBenchResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const added = (on: number, off: number) => `${(((on - off) / off) * 100).toFixed(1)} %`;
  return [
    '',
    `### One timeline: cross-provider matching (${r.users.toLocaleString('en-US')} users, 3 providers)`,
    '',
    '| activities | load (matching off) | batch dedupe (500 users a call) | groups (copies) | server temp files | Node peak RSS |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${r.activities.toLocaleString('en-US')} | ${s(r.loadMs)} | ${s(r.batchMs)} (${Math.round(r.activities / (r.batchMs / 1000)).toLocaleString('en-US')} activities/s) | ${r.groups.toLocaleString('en-US')} (${r.grouped.toLocaleString('en-US')}) | ${r.tempMiB} MiB | ${r.peakRssMiB} MiB |`,
    '',
    `| page write (${r.pageSize} new activities, athlete with 10,000 stored; trainlytics_commit_page × ${r.pages} each) | median, matching off | median, matching on | added |`,
    '| --- | ---: | ---: | ---: |',
    `| every activity the copy of a stored one | ${r.pageMsOff.toFixed(1)} ms | ${r.pageMsOn.toFixed(1)} ms | ${added(r.pageMsOn, r.pageMsOff)} |`,
    `| no activity with a copy stored | ${r.aloneMsOff.toFixed(1)} ms | ${r.aloneMsOn.toFixed(1)} ms | ${added(r.aloneMsOn, r.aloneMsOff)} |`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [users, pages] = process.argv.slice(2).map(Number);
  measure(users ?? 200, pages ?? 3).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
