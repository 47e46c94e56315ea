import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import {
  type ActivityStreams,
  createTrainlytics,
  encodeSamples,
  type Provider,
  SAMPLE_CHANNEL_NAMES,
  type SampleChannels,
  silentLogger,
} from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase } from '@trainlytics/core/testing';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { median, percentile } from './streams-report';

/**
 * The six channels of a typical 1 Hz run (a GPS watch with a heart-rate strap and a footpod): latlng,
 * distance, altitude, speed, heartrate, cadence — the first six of core's channel order.
 */
export const TYPICAL_RUN_CHANNELS = SAMPLE_CHANNEL_NAMES.slice(0, 6);

export interface StreamsRequestsRow {
  provider: string;
  /** Measured through the sandbox (mean per activity with samples), else the plugin's declaration. */
  requestsPerActivity: number | null;
  how: 'measured' | 'declared' | 'n/a until implemented';
  /** Requests for a manual activity (no samples), when measured. */
  manualRequests?: number;
}

export interface StreamsResult {
  scenario: 'streams';
  database: 'postgres';
  activities: number;
  samplesPerActivity: number;
  channels: number;
  storage: {
    /** The codec's bytes for the whole recording (time included) per sample and channel. */
    encodedBytesPerSample: number;
    /** The same in PostgreSQL: `pg_column_size(samples)` (after TOAST compression, if any). */
    storedBytesPerSample: number;
    /** The whole `activity_streams` relation (heap, TOAST, index) per sample and channel. */
    relationBytesPerSample: number;
    /** Strava's StreamSet JSON (`key_by_type=true`) of the same samples. */
    jsonBytesPerSample: number;
    /** One row per sample (activity, t, lat, lng, distance, altitude, speed, heart rate, cadence; primary key). */
    rowPerSampleBytesPerSample: number;
  };
  write: {
    /** `store.saveActivityStreams` for every activity, one after the other (encoding included). */
    storeMs: number;
    /** The codec's share of `storeMs`: encoding every activity's samples in memory. */
    encodeMs: number;
    /**
     * `\copy … (FORMAT binary)` (COPY FROM STDIN through psql) of the same samples, pre-encoded per activity
     * and channel: the psql command's wall time less that of a `select 1` through psql (`psqlMs`).
     */
    copyMs: number;
    copyWallMs: number;
    psqlMs: number;
    copyBytes: number;
    /** store samples/s ÷ COPY samples/s. */
    ratio: number;
  };
  read: { medianMs: number; p99Ms: number; maxMs: number };
  requests: StreamsRequestsRow[];
  loadAverage: number[];
}

/** A deterministic pseudo-random sequence in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * A typical 1 Hz run at providers' precision: position to 6 decimals with GPS jitter, distance and altitude
 * to 0.1 m, speed to 0.001 m/s, heart rate and cadence as integers.
 */
export function typicalRun(seed: number, seconds: number): Pick<ActivityStreams, 'time' | 'channels'> {
  const rnd = lcg(seed);
  const time = Array.from({ length: seconds }, (_, i) => i);
  const heading = rnd() * Math.PI * 2;
  const [lat0, lng0] = [45 + rnd() * 5, 2 + rnd() * 5];
  let d = 0;
  const latlng: Array<readonly [number, number]> = [];
  const distance: number[] = [];
  const altitude: number[] = [];
  const speed: number[] = [];
  const heartrate: number[] = [];
  const cadence: number[] = [];
  let hr = 110;
  for (const t of time) {
    const v = 3 + 0.4 * Math.sin(t / 300) + (rnd() - 0.5) * 0.3;
    d += v;
    const bearing = heading + Math.sin(d / 700);
    latlng.push([
      round(lat0 + (d / 111_320) * Math.cos(bearing) + (rnd() - 0.5) * 2e-5, 6),
      round(lng0 + (d / 78_000) * Math.sin(bearing) + (rnd() - 0.5) * 2e-5, 6),
    ]);
    distance.push(round(d, 1));
    altitude.push(round(150 + 30 * Math.sin(d / 1700) + (rnd() - 0.5) * 0.6, 1));
    speed.push(round(v, 3));
    hr += (150 + 10 * Math.sin(t / 400) - hr) * 0.02 + (rnd() - 0.5) * 2;
    heartrate.push(Math.round(hr));
    cadence.push(Math.round(86 + 2 * Math.sin(t / 60) + (rnd() - 0.5) * 3));
  }
  return { time, channels: { latlng, distance, altitude, speed, heartrate, cadence } };
}

/** The COPY BINARY stream of `(activity_id int, channel text, samples bytea)` rows. */
function copyBinary(rows: Iterable<[number, string, Uint8Array]>, file: string): Promise<void> {
  const out = createWriteStream(file);
  out.write(Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]));
  for (const [id, channel, bytes] of rows) {
    const name = Buffer.from(channel);
    const head = Buffer.alloc(2 + 4 + 4 + 4 + name.length + 4);
    let o = head.writeInt16BE(3, 0);
    o = head.writeInt32BE(4, o);
    o = head.writeInt32BE(id, o);
    o = head.writeInt32BE(name.length, o);
    o += name.copy(head, o);
    head.writeInt32BE(bytes.length, o);
    out.write(head);
    out.write(bytes);
  }
  out.end(Buffer.from([0xff, 0xff]));
  return finished(out);
}

/** Runs one psql command; resolves to its wall time (process start and connection included). */
function psql(connectionString: string, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', connectionString, '-c', command], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`psql ${command} exited ${code}`)),
    );
  });
}

/** One channel's samples, alone with `time`, in the store's codec (the baseline's bytea). */
function channelBytes(
  run: Pick<ActivityStreams, 'time' | 'channels'>,
  name: keyof SampleChannels,
): Uint8Array {
  return encodeSamples({ time: run.time, channels: { [name]: run.channels[name] } });
}

/**
 * Activity detail (issue 14) on the real PostgreSQL: storage per sample, the store's write rate against
 * the best set-based COPY of the same samples, the read latency of one activity's streams, and requests per
 * activity per provider. `activities` × `seconds` at 1 Hz, 6 channels (`--quick`: 50 × 600).
 */
export async function runStreams(activities: number, seconds: number): Promise<StreamsResult> {
  const db = await createTestDatabase({ migrate: true, prefix: 'tl_bench' });
  const scratch = await mkdtemp(path.join(tmpdir(), 'tl-bench-streams-'));
  try {
    const pool = db.pool;
    const store = postgresStore(pool);
    const user = await pool.query(`insert into users (email) values ('streams@bench.test') returning id`);
    const ids = (
      await pool.query(
        `insert into activities (user_id, sport_type, start_date, raw)
         select $1, 'run', now() - g * interval '1 day', '{}'::jsonb from generate_series(1, $2) g returning id`,
        [user.rows[0].id, activities],
      )
    ).rows.map((r) => Number(r.id));
    // 20 distinct recordings, cycled: the store encodes each activity's anyway
    const runs = Array.from({ length: Math.min(20, activities) }, (_, i) => typicalRun(i + 1, seconds));
    const runOf = (i: number) => runs[i % runs.length] as Pick<ActivityStreams, 'time' | 'channels'>;
    const streamsOf = (i: number): ActivityStreams => ({
      ...runOf(i),
      laps: [],
      route: null,
      raw: { streams: { time: { series_type: 'time', resolution: 'high', original_size: seconds } } },
    });
    const sampleChannels = activities * seconds * TYPICAL_RUN_CHANNELS.length;

    // (2) write: the store, one activity after the other …
    const now = new Date();
    let started = performance.now();
    for (let i = 0; i < ids.length; i++)
      await store.saveActivityStreams!(ids[i] as number, streamsOf(i), now);
    const storeMs = performance.now() - started;
    // the codec's share of it: the same encodings, in memory only
    started = performance.now();
    for (let i = 0; i < ids.length; i++) encodeSamples(runOf(i));
    const encodeMs = performance.now() - started;
    // … and the same samples COPYed into one row per activity and channel
    await pool.query(
      'create unlogged table if not exists bench_copy_baseline (activity_id int, channel text, samples bytea, primary key (activity_id, channel))',
    );
    await pool.query('alter table bench_copy_baseline set logged');
    const file = path.join(scratch, 'copy.bin');
    const perRun = runs.map((run) => TYPICAL_RUN_CHANNELS.map((c) => [c, channelBytes(run, c)] as const));
    await copyBinary(
      (function* () {
        for (let i = 0; i < ids.length; i++) {
          for (const [c, bytes] of perRun[i % runs.length] ?? []) yield [ids[i] as number, c, bytes];
        }
      })(),
      file,
    );
    const copyBytes = (await stat(file)).size;
    // psql's own start and connection, measured alone and taken off the COPY's wall time
    const psqlMs = await psql(db.connectionString, 'select 1');
    const copyWallMs = await psql(
      db.connectionString,
      `\\copy bench_copy_baseline from '${file}' with (format binary)`,
    );
    const copyMs = Math.max(1, copyWallMs - psqlMs);

    // (1) storage
    const sizes = (
      await pool.query(
        `select sum(pg_column_size(samples))::float8 as stored, sum(octet_length(samples))::float8 as encoded,
                pg_total_relation_size('activity_streams')::float8 as relation from activity_streams`,
      )
    ).rows[0];
    const sample = runs[0] as Pick<ActivityStreams, 'time' | 'channels'>;
    const json = JSON.stringify(
      Object.fromEntries(
        [
          ['time', sample.time] as const,
          ...TYPICAL_RUN_CHANNELS.map((c) => [c, sample.channels[c]] as const),
        ].map(([type, data]) => [
          type,
          { data, series_type: 'distance', original_size: seconds, resolution: 'high' },
        ]),
      ),
    );
    const rowActivities = ids.slice(0, Math.min(20, ids.length));
    await pool.query(
      `create table bench_sample_rows (activity_id int, t int, lat float8, lng float8, distance float8,
         altitude float8, speed float8, heartrate smallint, cadence smallint, primary key (activity_id, t))`,
    );
    for (const [k, id] of rowActivities.entries()) {
      const run = runOf(k);
      const c = run.channels;
      await pool.query(
        `insert into bench_sample_rows select $1, * from unnest($2::int[], $3::float8[], $4::float8[], $5::float8[],
           $6::float8[], $7::float8[], $8::smallint[], $9::smallint[])`,
        [
          id,
          run.time,
          c.latlng?.map((p) => p?.[0]),
          c.latlng?.map((p) => p?.[1]),
          c.distance,
          c.altitude,
          c.speed,
          c.heartrate,
          c.cadence,
        ],
      );
    }
    await pool.query('vacuum analyze bench_sample_rows');
    const rowBytes = Number(
      (await pool.query(`select pg_total_relation_size('bench_sample_rows')::float8 as n`)).rows[0].n,
    );

    // (3) read: one activity's full streams, in a shuffled order
    const order = [...ids].sort(
      (a, b) => ((a * 2_654_435_761) % 1_000_003) - ((b * 2_654_435_761) % 1_000_003),
    );
    const latencies: number[] = [];
    for (const id of order) {
      started = performance.now();
      const read = await store.getActivityStreams!(id);
      latencies.push(performance.now() - started);
      if (!read?.streams || read.streams.time.length !== seconds)
        throw new Error(`Activity ${id} read back wrong`);
    }

    const storeRate = sampleChannels / storeMs;
    const copyRate = sampleChannels / copyMs;
    return {
      scenario: 'streams',
      database: 'postgres',
      activities,
      samplesPerActivity: seconds,
      channels: TYPICAL_RUN_CHANNELS.length,
      storage: {
        encodedBytesPerSample: Number(sizes.encoded) / sampleChannels,
        storedBytesPerSample: Number(sizes.stored) / sampleChannels,
        relationBytesPerSample: Number(sizes.relation) / sampleChannels,
        jsonBytesPerSample: json.length / (seconds * TYPICAL_RUN_CHANNELS.length),
        rowPerSampleBytesPerSample: rowBytes / (rowActivities.length * seconds * TYPICAL_RUN_CHANNELS.length),
      },
      write: { storeMs, encodeMs, copyMs, copyWallMs, psqlMs, copyBytes, ratio: storeRate / copyRate },
      read: {
        medianMs: median(latencies),
        p99Ms: percentile(latencies, 0.99),
        maxMs: Math.max(...latencies),
      },
      requests: await requestsPerProvider(db.pool),
      loadAverage: (await import('node:os')).loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await db.drop();
  }
}

/**
 * Requests per activity: Strava measured through its sandbox (every activity of a 24-activity history, the
 * manual ones apart); Garmin and Polar read from their plugins' `streams.requestsPerActivity` when it exists.
 */
async function requestsPerProvider(pool: import('pg').Pool): Promise<StreamsRequestsRow[]> {
  const sandbox = await startStravaSandbox();
  const trainlytics = createTrainlytics({
    store: postgresStore(pool),
    providers: [sandbox.createProvider()],
    logger: silentLogger,
  });
  const rows: StreamsRequestsRow[] = [];
  try {
    const user = await pool.query(`insert into users (email) values ('requests@bench.test') returning id`);
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 24 });
    const { url } = await trainlytics.connect.start('strava', {
      userId: Number(user.rows[0].id),
      redirectUri: 'https://bench.example/callback',
    });
    const callback = await sandbox.approve(url, { providerUserId });
    const connection = await trainlytics.connect.finish('strava', { callbackParams: callback.searchParams });
    await trainlytics.sync(connection.id, { full: true });
    const withSamples: number[] = [];
    const manual: number[] = [];
    for (const activity of await trainlytics.activities.list({ connectionId: connection.id, limit: 100 })) {
      sandbox.resetCounters();
      const detail = await trainlytics.activities.detail(activity.id);
      (detail.status === 'stored' ? withSamples : manual).push(sandbox.requestCount());
    }
    rows.push({
      provider: 'strava',
      requestsPerActivity: withSamples.reduce((a, b) => a + b, 0) / withSamples.length,
      how: 'measured',
      ...(manual.length > 0 ? { manualRequests: manual.reduce((a, b) => a + b, 0) / manual.length } : {}),
    });
  } finally {
    await trainlytics.close();
    await sandbox.close();
  }
  for (const [provider, factory] of [
    ['garmin', 'garmin'],
    ['polar', 'polar'],
  ] as const) {
    rows.push({ provider, ...(await declaredRequests(`@trainlytics/provider-${provider}`, factory)) });
  }
  return rows;
}

/** The plugin's `streams.requestsPerActivity`, when the installed plugin has the capability. */
async function declaredRequests(
  specifier: string,
  factory: string,
): Promise<Pick<StreamsRequestsRow, 'requestsPerActivity' | 'how'>> {
  try {
    const module = (await import(specifier)) as Record<string, (options: object) => Provider>;
    const provider = module[factory]?.({ clientId: 'bench', clientSecret: 'bench' });
    const declared = provider?.streams?.requestsPerActivity;
    if (typeof declared === 'number') return { requestsPerActivity: declared, how: 'declared' };
  } catch {
    // not installed, or its settings differ: reported as not implemented
  }
  return { requestsPerActivity: null, how: 'n/a until implemented' };
}
