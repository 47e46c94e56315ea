import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, FakeClock, type Trainlytics, ValidationError } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateStreams,
  STRAVA_STREAM_CHANNELS,
  type StravaSandbox,
  startStravaSandbox,
  toStravaJson,
} from '../src/sandbox-entry';
import { mapStravaStreams } from '../src/strava-streams';
import { redirectUri } from './harness';

/** Strava's type → the normalized channel, as the sandbox writes it from the API reference (not the plugin's). */
const CHANNEL: Record<string, string> = STRAVA_STREAM_CHANNELS;

/**
 * Activity streams through the sandbox over real sockets into PGlite: every activity's stored streams
 * equal what Strava sent (sample for sample, after the store's encoding), in exactly two requests per
 * recorded activity (streams and laps), one for a manual entry (no streams), none once stored.
 */
describe('Strava activity streams end to end', () => {
  let sandbox: StravaSandbox;
  let pglite: PGlite;
  let trainlytics: Trainlytics;
  let connectionId: number;
  let athleteId: string;

  beforeAll(async () => {
    sandbox = await startStravaSandbox();
    pglite = await createTestPGlite({ migrate: true });
    trainlytics = createTrainlytics({
      store: postgresStore(pglite),
      providers: [sandbox.createProvider()],
      clock: new FakeClock(sandbox.clock.now()),
    });
    const user = await pglite.query<{ id: number }>(
      `insert into users (email) values ('streams@example.com') returning id`,
    );
    ({ providerUserId: athleteId } = await sandbox.seedAthlete({ activityCount: 24 }));
    const { url } = await trainlytics.connect.start('strava', { userId: user.rows[0]!.id, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId: athleteId });
    ({ id: connectionId } = await trainlytics.connect.finish('strava', {
      callbackParams: callback.searchParams,
    }));
    await trainlytics.sync(connectionId, { full: true });
  }, 180_000);

  afterAll(async () => {
    await trainlytics.close();
    await sandbox.close();
    await pglite.close();
  });

  it('stores what Strava sent, exactly, in the documented two requests per activity', async () => {
    const activities = await trainlytics.activities.list({ connectionId, limit: 100 });
    expect(activities.length).toBe(24);
    let manual = 0;
    for (const row of activities) {
      sandbox.resetCounters();
      const detail = await trainlytics.activities.detail(row.id);
      const requests = sandbox.requestCount({ pathPrefix: '/api/v3/activities/' });
      const wire = JSON.parse(
        toStravaJson(generateStreams(sandbox.getActivity(athleteId, row.providerActivityId)!)),
      );
      if (Object.keys(wire.streams).length === 0) {
        manual++;
        expect(detail).toMatchObject({ status: 'none', streams: null });
        expect(requests).toBe(1);
        continue;
      }
      expect(detail.status).toBe('stored');
      expect(requests).toBe(2);
      const stored = (await trainlytics.activities.detail(row.id)).streams!;
      expect(stored.time).toEqual(wire.streams.time.data);
      for (const [type, stream] of Object.entries<{ data: unknown[] }>(wire.streams)) {
        if (type === 'time') continue;
        expect((stored.channels as Record<string, unknown>)[CHANNEL[type]!], type).toEqual(stream.data);
      }
      expect(Object.keys(stored.channels).length).toBe(Object.keys(wire.streams).length - 1);
      expect(stored.laps.length).toBe(wire.laps.length);
      stored.laps.forEach((lap, i) => {
        expect(lap.startOffsetS).toBe(wire.streams.time.data[wire.laps[i].start_index]);
        expect(lap.distanceM).toBe(wire.laps[i].distance);
      });
      // lap ids beyond 2^53 stay exact in raw
      const rawLaps = (stored.raw as { laps: Array<{ id: string }> }).laps;
      expect(rawLaps[0]!.id).toMatch(/^\d{16,}$/);
      expect(BigInt(rawLaps[0]!.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    }
    expect(manual).toBeGreaterThan(0);
    expect(manual).toBeLessThan(24);
    // stored now: reading again costs nothing
    sandbox.resetCounters();
    for (const row of activities) await trainlytics.activities.detail(row.id);
    expect(sandbox.requestCount({ pathPrefix: '/api/v3/' })).toBe(0);
  });

  it('fetches again with refresh, and counts an activity gone at Strava as having none', async () => {
    const [row] = await trainlytics.activities.list({ connectionId, limit: 1 });
    sandbox.resetCounters();
    const again = await trainlytics.activities.detail(row!.id, { refresh: true });
    expect(again.requests).toBeGreaterThanOrEqual(1);
    await sandbox.deleteActivity(athleteId, row!.providerActivityId);
    const gone = await trainlytics.activities.detail(row!.id, { refresh: true });
    expect(gone).toMatchObject({ status: 'none', streams: null, requests: 1 });
  });

  it('refuses streams whose lengths differ, naming the stream', () => {
    const activity = { providerActivityId: '7', startDate: new Date(0), raw: {} };
    const set = { time: { data: [0, 1, 2] }, heartrate: { data: [120, 121] } };
    expect(() => mapStravaStreams(activity, set, [])).toThrow(ValidationError);
    expect(() => mapStravaStreams(activity, set, [])).toThrow(
      /heartrate stream has 2 samples but time has 3/,
    );
  });
});
