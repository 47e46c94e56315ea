import { createScheduler } from '@trainlytics/cli';
import { createTrainlytics, type FetchFunction, silentLogger } from '@trainlytics/core';
import { postgresRateLimitTracker, postgresStore } from '@trainlytics/core/postgres';
import { FakeClock, mulberry32 } from '@trainlytics/core/testing';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { openBenchDatabase } from './databases';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** The scheduler ticks every five simulated minutes (webhooks are handled at their own instants). */
const STEP_MS = 5 * MINUTE_MS;

export interface SimulatedDayOptions {
  connections: number;
  /** Mean uploads per athlete per day (each athlete uploads 0, 1, 2… drawn around it). */
  uploadsPerDay: number;
  /** The share of webhooks the provider never delivers (polls repair them). */
  dropRate: number;
  /** The scheduler's interval: a connection is polled when its last sync is older than this. */
  pollIntervalMs: number;
  /** The app's budget at the provider (Strava's defaults: 100 reads / 15 min, 1,000 a day). */
  limit15: number;
  dailyLimit: number;
  seed: number;
}

/**
 * The bench's day: one upload per athlete-day on average, 5 % of webhooks dropped, a repair poll every
 * 12 hours, under Strava's default app limits (100 reads / 15 min, 1,000 a day).
 */
export const SIMULATED_DAY: Omit<SimulatedDayOptions, 'connections'> = {
  uploadsPerDay: 1,
  dropRate: 0.05,
  pollIntervalMs: 12 * 3_600_000,
  limit15: 100,
  dailyLimit: 1_000,
  seed: 20_260_601,
};

export interface SimulatedDayResult {
  scenario: 'simulated-day';
  options: SimulatedDayOptions;
  uploads: number;
  /** Deliveries the app answered 200 to. */
  webhooksDelivered: number;
  /** Deliveries the app answered 503 to (it could not apply them: the budget was spent); polls repair them. */
  webhooksRefused: number;
  webhooksDropped: number;
  /** Requests to the provider's API per UTC day of the simulation (the second day is the repair tail). */
  requestsPerDay: number[];
  maxRequestsIn15Min: number;
  tooManyRequests: number;
  polls: number;
  pollsDeferred: number;
  /** Upload → stored, in seconds of simulated time. */
  freshness: { all: Percentiles; webhook: Percentiles; repaired: Percentiles };
  /** Stored activities equal the provider's at the end, for every connection. */
  storedEqualsProvider: boolean;
  missing: number;
  extra: number;
  /** Wall time of the whole simulation (setup excluded). */
  wallMs: number;
}

export interface Percentiles {
  count: number;
  medianS: number;
  p99S: number;
  maxS: number;
}

/** mulberry32: a small seeded PRNG, so a run is repeatable. */
const prng = mulberry32;

/** When athletes upload (UTC hours): mornings, lunch and evenings, a little at night. */
const UPLOAD_HOURS: Array<[from: number, to: number, weight: number]> = [
  [6, 9, 0.3],
  [11.5, 13.5, 0.15],
  [17, 21, 0.45],
  [0, 24, 0.1],
];

function uploadTime(random: () => number): number {
  let pick = random();
  for (const [from, to, weight] of UPLOAD_HOURS) {
    if (pick < weight) return Math.floor((from + (to - from) * random()) * 3_600_000);
    pick -= weight;
  }
  return Math.floor(24 * 3_600_000 * random());
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const s = (ms: number) => Math.round(ms / 100) / 10;
  return { count: sorted.length, medianS: s(at(0.5)), p99S: s(at(0.99)), maxS: s(sorted.at(-1) ?? 0) };
}

type Event =
  | { at: number; kind: 'upload'; athlete: number; upload: number }
  | { at: number; kind: 'webhook'; athlete: number; upload: number };

/**
 * A day of a webhook-driven app, on an injected clock advanced in five-minute steps (no wall-clock sleeps):
 * `connections` Strava athletes (the sandbox, real HTTP) upload through the day; the sandbox's webhook of
 * each upload reaches the app (`webhooks.handle`, inline: the plugin fetches the one activity) a few
 * seconds later, except a share that is dropped; the real embedded scheduler (`createScheduler`, the same
 * clock) polls each connection once per `pollIntervalMs` to repair what the webhooks missed. Every request
 * goes through the app-wide rate-limit tracker in PostgreSQL against the sandbox's limits. The day is
 * followed by one poll interval without uploads, so every dropped webhook is repaired before the end.
 */
export async function simulateDay(options: SimulatedDayOptions): Promise<SimulatedDayResult> {
  const random = prng(options.seed);
  const dayStart = Date.parse('2026-06-01T00:00:00Z');
  const clock = new FakeClock(dayStart - options.pollIntervalMs);
  const sandbox = await startStravaSandbox({
    clock,
    rateLimit: { limit: options.limit15, dailyLimit: options.dailyLimit },
  });
  const database = await openBenchDatabase('postgres');
  const seen = { perDay: new Map<number, number>(), per15: new Map<number, number>(), tooMany: 0 };
  const recordingFetch: FetchFunction = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input instanceof Request ? input.url : input).includes('/api/v3/')) {
      const t = clock.now().getTime();
      const day = Math.floor(t / DAY_MS);
      const q = Math.floor(t / (15 * MINUTE_MS));
      seen.perDay.set(day, (seen.perDay.get(day) ?? 0) + 1);
      seen.per15.set(q, (seen.per15.get(q) ?? 0) + 1);
      if (response.status === 429) seen.tooMany++;
    }
    return response;
  };
  const store = postgresStore({ pool: database.target as never });
  const rateLimitTracker = postgresRateLimitTracker({ db: database.target as never });
  const trainlytics = createTrainlytics({
    store,
    providers: [sandbox.createProvider({ fetch: recordingFetch })],
    logger: silentLogger,
    clock,
    rateLimitTracker,
    webhookProcessing: 'inline',
  });
  try {
    // the athletes, connected and last polled at times spread over one interval before the day
    const { rows: users } = await database.query(
      `insert into users (email) select 'day' || i || '@bench.test' from generate_series(1, $1) i returning id`,
      [options.connections],
    );
    const athletes: Array<{ providerUserId: string; connectionId: number }> = [];
    const expiresAt = new Date(dayStart + 3 * DAY_MS);
    for (const [i, user] of users.entries()) {
      const tokens = { accessToken: `day-access-${i}`, refreshToken: `day-refresh-${i}` };
      const { providerUserId } = await sandbox.registerAthlete({
        athleteId: 60_000_000 + i,
        activityCount: 0,
        ...tokens,
        expiresAt,
      });
      const connection = await store.upsertConnection(
        {
          userId: Number(user.id),
          provider: 'strava',
          providerUserId,
          ...tokens,
          tokenExpiresAt: expiresAt,
          refreshTokenExpiresAt: null,
          scopes: ['read', 'activity:read_all'],
          providerProfile: {},
        },
        clock.now(),
      );
      const lastSync = dayStart - Math.floor(((i + 0.5) / options.connections) * options.pollIntervalMs);
      await database.query(
        `update provider_connections set sync_cursor = $2::jsonb, last_sync_at = $3 where id = $1`,
        [
          connection.id,
          JSON.stringify({ v: 1, after: Math.floor((dayStart - DAY_MS) / 1000) }),
          new Date(lastSync),
        ],
      );
      athletes.push({ providerUserId, connectionId: connection.id });
    }

    // the day's uploads and webhooks
    const events: Event[] = [];
    const uploads: Array<{
      athlete: number;
      at: number;
      activityId: string | null;
      storedAt: number | null;
      viaWebhook: boolean;
      dropped: boolean;
    }> = [];
    for (let athlete = 0; athlete < athletes.length; athlete++) {
      // 0, 1, 2… uploads around the mean (a binomial over four draws)
      let count = 0;
      for (let k = 0; k < 4; k++) if (random() < options.uploadsPerDay / 4) count++;
      for (let k = 0; k < count; k++) {
        const at = dayStart + uploadTime(random);
        const upload = uploads.length;
        const dropped = random() < options.dropRate;
        uploads.push({ athlete, at, activityId: null, storedAt: null, viaWebhook: false, dropped });
        events.push({ at, kind: 'upload', athlete, upload });
        // Strava delivers within seconds
        if (!dropped)
          events.push({ at: at + 2_000 + Math.floor(random() * 28_000), kind: 'webhook', athlete, upload });
      }
    }
    events.sort((a, b) => a.at - b.at || (a.kind === 'upload' ? -1 : 1));

    const scheduler = createScheduler({
      trainlytics,
      intervalMs: options.pollIntervalMs,
      concurrency: 1,
      rateLimitTracker,
      clock,
      logger: silentLogger,
      maxRateLimitWaitMs: 0,
    });
    const pendingOf = new Map<number, Set<number>>();
    const markStored = async (athlete: number, viaWebhook: boolean) => {
      const pending = pendingOf.get(athlete);
      if (!pending || pending.size === 0) return;
      const ids = [...pending].map((u) => uploads[u]!.activityId);
      const { rows } = await database.query(
        'select provider_activity_id as id from activities where connection_id = $1 and provider_activity_id = any($2::text[])',
        [athletes[athlete]!.connectionId, ids],
      );
      const stored = new Set(rows.map((r) => String(r.id)));
      for (const u of [...pending]) {
        if (stored.has(uploads[u]!.activityId!)) {
          uploads[u]!.storedAt = clock.now().getTime();
          uploads[u]!.viaWebhook = viaWebhook;
          pending.delete(u);
        }
      }
    };
    const advanceTo = (t: number) => {
      if (clock.now().getTime() < t) clock.set(t);
    };

    let polls = 0;
    let pollsDeferred = 0;
    let webhooksDelivered = 0;
    let webhooksRefused = 0;
    const end = dayStart + DAY_MS + options.pollIntervalMs + 15 * MINUTE_MS;
    const started = performance.now();
    let next = 0;
    for (let step = dayStart; step <= end; step += STEP_MS) {
      while (next < events.length && events[next]!.at <= step) {
        const event = events[next++]!;
        advanceTo(event.at);
        const { providerUserId } = athletes[event.athlete]!;
        if (event.kind === 'upload') {
          const [id] = await sandbox.addActivities(providerUserId, 1);
          uploads[event.upload]!.activityId = id!;
          uploads[event.upload]!.at = clock.now().getTime();
          if (!pendingOf.has(event.athlete)) pendingOf.set(event.athlete, new Set());
          pendingOf.get(event.athlete)!.add(event.upload);
        } else {
          const request = await sandbox.webhookRequest({
            type: 'activity.created',
            providerUserId,
            providerActivityId: uploads[event.upload]!.activityId!,
          });
          const response = await trainlytics.webhooks.handle('strava', request);
          if (response.status === 200) {
            webhooksDelivered++;
            await markStored(event.athlete, true);
          } else if (response.status === 503) {
            // could not apply it now (the budget is spent): Strava's redeliveries are not modelled, the
            // repair poll stores the activity
            webhooksRefused++;
          } else throw new Error(`webhook answered ${response.status}`);
        }
      }
      advanceTo(step);
      const report = await scheduler.tick();
      for (const result of report.results) {
        polls++;
        if (result.status === 'deferred') pollsDeferred++;
        if (result.status === 'failed')
          throw new Error(`poll of connection ${result.connectionId} failed: ${result.errorMessage}`);
        const athlete = athletes.findIndex((a) => a.connectionId === result.connectionId);
        await markStored(athlete, false);
      }
      if (report.errors.length > 0) throw new Error(`scheduler: ${report.errors[0]!.message}`);
    }
    const wallMs = performance.now() - started;

    // the end: stored activities against the provider's, connection by connection
    let missing = 0;
    let extra = 0;
    for (const { providerUserId, connectionId } of athletes) {
      const provider = new Set(sandbox.listedActivityIds(providerUserId));
      const { rows } = await database.query(
        'select provider_activity_id as id from activities where connection_id = $1',
        [connectionId],
      );
      const stored = new Set(rows.map((r) => String(r.id)));
      for (const id of provider) if (!stored.has(id)) missing++;
      for (const id of stored) if (!provider.has(id)) extra++;
    }
    const fresh = (filter: (u: (typeof uploads)[number]) => boolean) =>
      percentiles(uploads.filter((u) => u.storedAt !== null && filter(u)).map((u) => u.storedAt! - u.at));
    const days = [...seen.perDay.keys()].sort((a, b) => a - b);
    return {
      scenario: 'simulated-day',
      options,
      uploads: uploads.length,
      webhooksDelivered,
      webhooksRefused,
      webhooksDropped: uploads.filter((u) => u.dropped).length,
      requestsPerDay: days.map((d) => seen.perDay.get(d)!),
      maxRequestsIn15Min: Math.max(0, ...seen.per15.values()),
      tooManyRequests: seen.tooMany,
      polls,
      pollsDeferred,
      freshness: {
        all: fresh(() => true),
        webhook: fresh((u) => u.viaWebhook),
        repaired: fresh((u) => !u.viaWebhook),
      },
      storedEqualsProvider: missing === 0 && extra === 0 && uploads.every((u) => u.storedAt !== null),
      missing,
      extra,
      wallMs: Math.round(wallMs),
    };
  } finally {
    await trainlytics.close();
    await sandbox.close();
    await database.close();
  }
}
