import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GarminSandbox, startGarminSandbox } from '../src/sandbox';
import { generateActivityDetails } from '../src/sandbox/generate-activity-details';
import { type EndToEndDatabase, endToEndDatabases } from './databases';

// Activity Details (ADR 0033) through a real Trainlytics on PostgreSQL and PGlite, against the sandbox over
// HTTP: `activities.detail(id)` requests a backfill of activityDetails (one request) and answers
// `requested`; Garmin's push (or ping) of activityDetails stores the streams; a detail pushed before its
// summary is not lost.

const redirectUri = 'https://app.example.com/oauth/garmin/callback';
const databases = endToEndDatabases('tl_garmin_streams');

const RUN = {
  activityType: 'RUNNING',
  activityName: 'Lunch Run',
  durationInSeconds: 3600,
  distanceInMeters: 10_800,
  averageSpeedInMetersPerSecond: 3,
  averageHeartRateInBeatsPerMinute: 150,
  maxHeartRateInBeatsPerMinute: 175,
  startingLatitudeInDegree: 47.3769,
  startingLongitudeInDegree: 8.5417,
  manual: false,
};

describe.each(databases)('Garmin activity details end to end ($name)', ({ open }) => {
  let database: EndToEndDatabase;
  let clock: FakeClock;
  let sandbox: GarminSandbox;
  let trainlytics: Trainlytics;
  let userId: number;
  const query = (sql: string, params: unknown[] = []) => database.query(sql, params);

  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.reset();
    clock = new FakeClock('2026-05-04T08:00:00Z');
  });
  afterEach(async () => {
    await trainlytics.close();
    await sandbox.close();
  });

  async function start(notificationMode: 'push' | 'ping') {
    sandbox = await startGarminSandbox({ clock, seed: 5, notificationMode });
    trainlytics = createTrainlytics({ store: database.store, providers: [sandbox.createProvider()], clock });
    userId = Number(
      (await query(`insert into users (email) values ('runner@example.com') returning id`))[0]!.id,
    );
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 3, days: 1 });
    const { url } = await trainlytics.connect.start('garmin', { userId, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    const connection = await trainlytics.connect.finish('garmin', {
      callbackParams: callback.searchParams,
      userId,
    });
    return { connection, providerUserId };
  }

  async function deliver(requests: Request[]) {
    const statuses: number[] = [];
    for (const request of requests)
      statuses.push((await trainlytics.webhooks.handle('garmin', request)).status);
    await trainlytics.webhooks.idle();
    return statuses;
  }

  const activityRow = async (summaryId: string) =>
    (await query('select id, detail, raw from activities where provider_activity_id = $1', [summaryId]))[0];

  /** What the sandbox generated for the activity, as the plugin should have stored it. */
  function expected(sandboxSummary: Record<string, unknown>) {
    const detail = generateActivityDetails(sandboxSummary as never)!;
    const startS = detail.summary.startTimeInSeconds as number;
    const samples = [...detail.samples].sort((a, b) => a.startTimeInSeconds! - b.startTimeInSeconds!);
    return {
      time: samples.map((s) => s.startTimeInSeconds! - startS),
      heartrate: samples.map((s) => s.heartRate ?? null),
      laps: detail.laps.length,
    };
  }

  it.each(['push', 'ping'] as const)(
    'connect, sync, detail(id) requests a backfill, the %s of activityDetails stores the streams',
    async (mode) => {
      const { connection, providerUserId } = await start(mode);
      const summaryId = await sandbox.addActivity(providerUserId, { fields: RUN });
      const sync = await trainlytics.sync(connection.id);
      expect(sync.status).toBe('success');
      const row = await activityRow(summaryId);
      const activityId = Number(row!.id);

      sandbox.resetCounters();
      const requested = await trainlytics.activities.detail(activityId);
      expect(requested).toMatchObject({ status: 'requested', streams: null, requests: 1 });
      expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/backfill/activityDetails' })).toBe(1);
      // nothing stored yet: asking again requests again (409 from Garmin for the same range is fine)
      expect(await query('select 1 from activity_streams')).toEqual([]);

      const notifications = sandbox.takeNotifications();
      expect(notifications.length).toBe(1);
      expect(await deliver(notifications)).toEqual([200]);

      const detail = await trainlytics.activities.detail(activityId);
      expect(detail.status).toBe('stored');
      expect(detail.requests).toBe(0);
      const streams = detail.streams!;
      const [summary] = sandbox
        .summariesStartedBetween(providerUserId, 0, 2 ** 31)
        .filter((s) => s.summaryId === summaryId);
      const want = expected(summary as never);
      expect(streams.time).toEqual(want.time);
      expect(streams.time.length).toBeGreaterThan(3000); // an hour at 1 Hz, less a pause and a few gaps
      expect(streams.channels.heartrate).toEqual(want.heartrate);
      expect(streams.channels.latlng).toHaveLength(want.time.length);
      expect(streams.laps).toHaveLength(want.laps);
      expect(streams.route?.resolution).toBe('full');
      // the stored summary is left as it was: a detail never overwrites it
      const after = await activityRow(summaryId);
      expect(after!.detail).toBe('detail');
      expect(after!.raw).toEqual(row!.raw);
      const [stored] = await query('select status, sample_count, channels from activity_streams');
      expect(stored).toMatchObject({ status: 'stored', sample_count: want.time.length });
      expect(await query('select count(*)::int as n from activities')).toEqual([{ n: 4 }]);
    },
  );

  it('a pool swim: no GPS, no heart rate, no moving channel (absent, not zeros)', async () => {
    const { connection, providerUserId } = await start('push');
    const summaryId = await sandbox.addActivity(providerUserId, {
      fields: { ...RUN, activityType: 'LAP_SWIMMING', averageSpeedInMetersPerSecond: 0.9 },
    });
    await trainlytics.sync(connection.id);
    const activityId = Number((await activityRow(summaryId))!.id);
    expect((await trainlytics.activities.detail(activityId)).status).toBe('requested');
    expect(await deliver(sandbox.takeNotifications())).toEqual([200]);
    const { streams } = await trainlytics.activities.detail(activityId);
    expect(streams!.channels.latlng).toBeUndefined();
    expect(streams!.channels.heartrate).toBeUndefined();
    expect(streams!.channels.moving).toBeUndefined();
    expect(streams!.channels.speed).toBeDefined();
    expect(streams!.route).toBeNull();
  });

  it('a manual activity has no details: none, without a request', async () => {
    const { connection, providerUserId } = await start('push');
    const summaryId = await sandbox.addActivity(providerUserId, { fields: { ...RUN, manual: true } });
    await trainlytics.sync(connection.id);
    sandbox.resetCounters();
    const detail = await trainlytics.activities.detail(Number((await activityRow(summaryId))!.id));
    expect(detail).toMatchObject({ status: 'none', requests: 0 });
    expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/backfill' })).toBe(0);
  });

  it.each(['push', 'ping'] as const)(
    'a detail delivered (%s) before its summary is not lost: the activity and its streams are stored, the summary then completes the activity',
    async (mode) => {
      const { providerUserId } = await start(mode);
      const summaryId = await sandbox.addActivity(providerUserId, { fields: RUN });
      // no sync: Garmin sends the details first
      const early = await sandbox.webhookRequest({
        type: 'activity.details',
        providerUserId,
        providerActivityId: summaryId,
      });
      expect(await deliver([early!])).toEqual([200]);
      const created = await activityRow(summaryId);
      expect(created).toMatchObject({ detail: 'summary' });
      const [streamsRow] = await query('select activity_id, status, sample_count from activity_streams');
      expect(streamsRow).toMatchObject({ activity_id: created!.id, status: 'stored' });
      expect(Number(streamsRow!.sample_count)).toBeGreaterThan(3000);

      // the summary arrives: same row, now the summary's (a detail-level write), streams kept
      const late = await sandbox.webhookRequest(
        { type: 'activity.created', providerUserId, providerActivityId: summaryId },
        { mode: 'push' },
      );
      expect(await deliver([late!])).toEqual([200]);
      const completed = await activityRow(summaryId);
      expect(completed).toMatchObject({ id: created!.id, detail: 'detail' });
      expect((completed!.raw as Record<string, unknown>).summaryId).toBe(summaryId);
      expect(
        await query('select count(*)::int as n from activities where provider_activity_id = $1', [summaryId]),
      ).toEqual([{ n: 1 }]);
      const detail = await trainlytics.activities.detail(Number(created!.id));
      expect(detail).toMatchObject({ status: 'stored', requests: 0 });
      expect(detail.streams!.time.length).toBe(Number(streamsRow!.sample_count));
    },
  );
});
