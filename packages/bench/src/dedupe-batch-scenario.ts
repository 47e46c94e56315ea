import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTestDatabase } from '@trainlytics/core/testing';
import type pg from 'pg';
import { peakRssMiB } from './measure';

/**
 * Batch dedupe at scale (issue 15: 1,000,000 activities, 10,000 users, three providers), on real PostgreSQL,
 * as `trainlytics dedupe --all` runs it: `trainlytics_dedupe` over batches of 500 users.
 *
 * Each user has 100 activities, generated in the server (`generate_series`, matching off while loading), in
 * the corpus's mix (packages/core/test/dedupe/corpus.ts): 40 Garmin recordings, 30 of them uploaded to Strava
 * (15 with `external_id` `garmin_push_<activityId>`, a third of those with a wrong clock 20 minutes off;
 * 15 without, up to 90 s apart, durations and distances a little different); 5 Strava rides in the same hour
 * as a Garmin run (never the same workout); 15 Polar sessions, 10 shared to Strava. Every activity carries
 * its workout's key in `raw.w`, so the result is checked, not only timed: 40 true pairs per user.
 *
 * Measured: load and batch wall time, the Node process's peak RSS, and the PostgreSQL backend's memory while
 * it matches (its private resident memory, sampled from /proc every 20 ms, and its peak RSS `VmHWM`, which
 * also counts the shared buffers it touched), the server's temporary-file bytes.
 */
export interface DedupeBatchBenchResult {
  users: number;
  activities: number;
  loadMs: number;
  batchMs: number;
  activitiesPerSecond: number;
  /** True pairs (same `raw.w`) in one group, and the pairs that should be. */
  pairsFound: number;
  pairsExpected: number;
  /** Grouped pairs of two different workouts (must be 0). */
  wrongPairs: number;
  groups: number;
  nodePeakRssMiB: number;
  /** The matching backend's highest private (anonymous) resident memory seen, and its peak RSS. */
  backendPeakAnonMiB: number | null;
  backendVmHwmMiB: number | null;
  tempMiB: number;
  /** The 1-minute load average at the start and the end (the machine is shared). */
  load: [number, number];
}

const PAIRS_PER_USER = 40;

/** Users 1…`users`, each with a Garmin, a Strava and a Polar connection (the dedupe benchmarks' athletes). */
export async function insertAthletes(pool: pg.Pool, users: number): Promise<void> {
  await pool.query(`
    insert into users (id, email) select u, 'u' || u || '@example.com' from generate_series(1, ${users}) u;
    insert into provider_connections (user_id, provider, provider_user_id, access_token)
    select u, p::provider_type, p || '-' || u, 't'
    from generate_series(1, ${users}) u cross join unnest(array['garmin', 'strava', 'polar']) p;`);
}

/** The bytes of temporary files the server wrote for this database so far. */
export async function tempBytes(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query(
    'select temp_bytes::bigint as t from pg_stat_database where datname = current_database()',
  );
  return Number(rows[0].t);
}

/** `trainlytics dedupe --all`: `trainlytics_dedupe` over batches of 500 users until none is left. */
export async function dedupeAllUsers(
  db: Pick<pg.Pool, 'query'>,
): Promise<{ groups: number; grouped: number }> {
  let afterUserId = 0;
  let groups = 0;
  let grouped = 0;
  for (;;) {
    const { rows } = await db.query('select trainlytics_dedupe($1::jsonb) as r', [
      JSON.stringify({ after_user_id: afterUserId, limit: 500 }),
    ]);
    const r = rows[0].r as { users: number; last_user_id: number; groups: number; grouped: number };
    if (r.users === 0) return { groups, grouped };
    groups += r.groups;
    grouped += r.grouped;
    afterUserId = r.last_user_id;
  }
}

/** Loads `users` × 100 activities with `generate_series` (matching off). */
export async function loadDedupeCorpus(pool: pg.Pool, users: number): Promise<void> {
  await insertAthletes(pool, users);
  const client = await pool.connect();
  try {
    await client.query(`set trainlytics.dedupe = 'off'`);
    // day d of user u: Garmin at 06:00 (+ u minutes), Polar at 18:00; runs, every third a ride
    await client.query(`
      insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                              elapsed_time_s, distance_m, raw)
      select c.user_id, c.id, 'garmin', (c.user_id::bigint * 1000 + d)::text,
             case when d % 3 = 0 then 'ride' else 'run' end,
             timestamptz '2025-01-01 06:00Z' + d * interval '2 days' + (c.user_id % 90) * interval '1 minute',
             1800 + (d * 37) % 3600, 5000 + (d * 997) % 20000,
             jsonb_build_object('activityId', c.user_id::bigint * 1000 + d, 'w', 'g' || d)
      from provider_connections c cross join generate_series(1, 40) d where c.provider = 'garmin';

      -- Garmin Connect's uploads (d 1..30): odd d with external_id (d % 5 = 0: a clock 20 min off), even
      -- d without (start up to 90 s later, 3 s shorter, 0.5 % longer); d 31..35: a ride in the hour of a run
      insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                              elapsed_time_s, distance_m, raw)
      select c.user_id, c.id, 'strava', 's' || (c.user_id::bigint * 1000 + d),
             case when d > 30 then 'ride' when d % 3 = 0 then 'ride' else 'run' end,
             timestamptz '2025-01-01 06:00Z' + d * interval '2 days' + (c.user_id % 90) * interval '1 minute'
               + case when d > 30 then interval '10 minutes'
                      when d % 2 = 1 and d % 5 = 0 then interval '20 minutes'
                      when d % 2 = 1 then interval '2 seconds'
                      else ((d * 7) % 90) * interval '1 second' end,
             1800 + (d * 37) % 3600 - 3, round((5000 + (d * 997) % 20000) * 1.005),
             case when d % 2 = 1 and d <= 30
                  then jsonb_build_object('external_id', 'garmin_push_' || (c.user_id::bigint * 1000 + d), 'w', 'g' || d)
                  else jsonb_build_object('w', case when d > 30 then 's' || d else 'g' || d end) end
      from provider_connections c cross join generate_series(1, 35) d where c.provider = 'strava';

      insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                              elapsed_time_s, distance_m, raw)
      select c.user_id, c.id, 'polar', 'p' || (c.user_id::bigint * 1000 + d), 'run',
             timestamptz '2025-01-02 18:00Z' + d * interval '2 days', 2400, 8000,
             jsonb_build_object('id', 'p' || (c.user_id::bigint * 1000 + d), 'w', 'p' || d)
      from provider_connections c cross join generate_series(1, 15) d where c.provider = 'polar';

      -- Polar Flow's shares to Strava (d 1..10): 5 s later, no external id
      insert into activities (user_id, connection_id, provider, provider_activity_id, sport_type, start_date,
                              elapsed_time_s, distance_m, raw)
      select c.user_id, c.id, 'strava', 'sp' || (c.user_id::bigint * 1000 + d), 'run',
             timestamptz '2025-01-02 18:00:05Z' + d * interval '2 days', 2398, 8010,
             jsonb_build_object('w', 'p' || d)
      from provider_connections c cross join generate_series(1, 10) d where c.provider = 'strava';`);
  } finally {
    client.release();
  }
  await pool.query('analyze');
}

/** Samples a backend's private resident memory from /proc while `work` runs (null off Linux or unreadable). */
async function sampleBackend<T>(pid: number, work: () => Promise<T>) {
  const read = async () => {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { anon: kib('RssAnon'), hwm: kib('VmHWM') };
    } catch {
      return null;
    }
  };
  let peakAnon = (await read())?.anon ?? null;
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => {
      const s = await read();
      if (s && peakAnon !== null) peakAnon = Math.max(peakAnon, s.anon);
    });
  }, 20);
  try {
    const result = await work();
    return { result, peakAnon, hwm: (await read())?.hwm ?? null };
  } finally {
    clearInterval(timer);
    await sampling;
  }
}

const mib = (kib: number | null) => (kib === null ? null : Math.round((kib / 1024) * 10) / 10);

export async function measureBatchDedupe(users: number): Promise<DedupeBatchBenchResult> {
  const load: [number, number] = [loadavg()[0]!, 0];
  const database = await createTestDatabase({ migrate: true, prefix: 'tl_bench_dedupe_batch' });
  const pool = database.pool as pg.Pool;
  try {
    const loadStart = performance.now();
    await loadDedupeCorpus(pool, users);
    const loadMs = performance.now() - loadStart;
    const activities = Number((await pool.query('select count(*)::int as n from activities')).rows[0].n);
    const tempBefore = await tempBytes(pool);

    const client = await pool.connect();
    let batchMs: number;
    let groups = 0;
    let backend: { peakAnon: number | null; hwm: number | null };
    try {
      const pid = Number((await client.query('select pg_backend_pid() as pid')).rows[0].pid);
      const batchStart = performance.now();
      const sampled = await sampleBackend(pid, async () => {
        groups = (await dedupeAllUsers(client)).groups;
      });
      batchMs = performance.now() - batchStart;
      backend = sampled;
    } finally {
      client.release();
    }
    const tempMiB = Math.round(((await tempBytes(pool)) - tempBefore) / 2 ** 20);

    // the result, checked: pairs of one group, by whether their workout keys agree
    const { rows } = await pool.query(`
      select count(*) filter (where a.raw ->> 'w' = b.raw ->> 'w')::int as found,
             count(*) filter (where a.raw ->> 'w' <> b.raw ->> 'w')::int as wrong
      from activity_group_members ga
      join activity_group_members gb on gb.group_id = ga.group_id and gb.activity_id > ga.activity_id
      join activities a on a.id = ga.activity_id
      join activities b on b.id = gb.activity_id`);
    load[1] = loadavg()[0]!;
    return {
      users,
      activities,
      loadMs: Math.round(loadMs),
      batchMs: Math.round(batchMs),
      activitiesPerSecond: Math.round(activities / (batchMs / 1000)),
      pairsFound: Number(rows[0].found),
      pairsExpected: users * PAIRS_PER_USER,
      wrongPairs: Number(rows[0].wrong),
      groups,
      nodePeakRssMiB: peakRssMiB(),
      backendPeakAnonMiB: mib(backend.peakAnon),
      backendVmHwmMiB: mib(backend.hwm),
      tempMiB,
      load: [Math.round(load[0] * 100) / 100, Math.round(load[1] * 100) / 100],
    };
  } finally {
    await database.drop();
  }
}

/** Runs the scenario in its own process (its peak RSS is its own) and returns its Markdown for `npm run bench`. */
export function runDedupeBatchBench(quick: boolean): Promise<string> {
  const users = quick ? 100 : 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@trainlytics/source', fileURLToPath(import.meta.url), String(users)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`batch dedupe scenario failed (exit ${code})`));
      resolve(formatDedupeBatch(JSON.parse(out.trim().split('\n').at(-1)!) as DedupeBatchBenchResult));
    });
  });
}

export function formatDedupeBatch(r: DedupeBatchBenchResult): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    '',
    `### Batch dedupe, checked (${n(r.users)} users, ${n(r.activities)} activities, 3 providers)`,
    '',
    '| load | batch | pairs found / expected | wrong pairs | Node peak RSS | backend private / peak RSS | temp files | load average |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${s(r.loadMs)} | ${s(r.batchMs)} (${n(r.activitiesPerSecond)}/s) | ${n(r.pairsFound)} / ${n(r.pairsExpected)} | ${r.wrongPairs} | ${r.nodePeakRssMiB} MiB | ${r.backendPeakAnonMiB ?? '—'} / ${r.backendVmHwmMiB ?? '—'} MiB | ${r.tempMiB} MiB | ${r.load[0]} → ${r.load[1]} |`,
  ].join('\n');
}

// `node --import tsx --conditions=@trainlytics/source src/dedupe-batch-scenario.ts <users>`: one JSON line.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const users = Number(process.argv[2] ?? 10_000);
  if (!Number.isInteger(users) || users <= 0)
    throw new Error(`users must be a positive integer, got ${process.argv[2]}`);
  measureBatchDedupe(users).then(
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
