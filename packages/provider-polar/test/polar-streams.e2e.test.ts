import { createTrainlytics, FakeClock, type Trainlytics, ValidationError } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, resetDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PolarSandbox, startPolarSandbox } from '../src/sandbox';
import { expectSamplesKept } from './samples-oracle';

// Exercise samples and routes through a real Trainlytics on a real PostgreSQL database, against the sandbox
// over HTTP: connect, sync, then `activities.detail(id)` fetches each exercise's samples in one request
// (the plugin's `requestsPerActivity`), stores them compactly and reads back exactly what Polar sent.

const redirectUri = 'https://app.example.com/oauth/polar/callback';

let database: TestDatabase;
let clock: FakeClock;
let sandbox: PolarSandbox;
let trainlytics: Trainlytics;
let userId: number;

const query = async (sql: string, params: unknown[] = []) => (await database.pool.query(sql, params)).rows;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_polar_streams' });
});
afterAll(async () => {
  await database?.drop();
});

beforeEach(async () => {
  await resetDatabase(database.pool);
  clock = new FakeClock('2026-05-04T08:00:00Z');
  sandbox = await startPolarSandbox({ clock, seed: 7 });
  trainlytics = createTrainlytics({
    store: postgresStore({ pool: database.pool }),
    providers: [sandbox.createProvider()],
    clock,
  });
  userId = Number(
    (await query(`insert into users (email) values ('detail@example.com') returning id`))[0]!.id,
  );
});
afterEach(async () => {
  await trainlytics.close();
  await sandbox.close();
});

async function connectAndSync(activityCount: number) {
  const { providerUserId } = await sandbox.seedAccount({ activityCount });
  const { url } = await trainlytics.connect.start('polar', { userId, redirectUri });
  const callback = await sandbox.approve(url, { providerUserId });
  const connection = await trainlytics.connect.finish('polar', {
    callbackParams: callback.searchParams,
    userId,
  });
  await trainlytics.sync(connection.id, { full: true });
  return { connectionId: connection.id, providerUserId };
}

describe('Polar exercise samples end to end', () => {
  it('stores what Polar sent, exactly, in requestsPerActivity requests per exercise', async () => {
    const { connectionId, providerUserId } = await connectAndSync(16);
    const provider = sandbox.createProvider();
    expect(provider.streams).toMatchObject({ delivery: 'pull', requestsPerActivity: 1 });
    const activities = await trainlytics.activities.list({ connectionId, limit: 100 });
    expect(activities).toHaveLength(16);
    const seen = { manual: 0, indoor: 0, route: 0, gaps: 0, noPower: 0 };
    for (const row of activities) {
      sandbox.resetCounters();
      const detail = await trainlytics.activities.detail(row.id);
      expect(sandbox.requestCount({ pathPrefix: '/v3/' })).toBe(provider.streams!.requestsPerActivity);
      expect(detail.requests).toBe(provider.streams!.requestsPerActivity);
      const wire = sandbox.exerciseDetail(providerUserId, row.providerActivityId)!;
      if (wire.samples.length === 0 && wire.route.length === 0) {
        seen.manual++;
        expect(detail).toMatchObject({ status: 'none', streams: null });
        continue;
      }
      expect(detail.status).toBe('stored');
      // read back from the database, not the value just returned
      const stored = (await trainlytics.activities.detail(row.id)).streams!;
      expectSamplesKept(wire, stored);
      if (wire.route.length === 0) {
        seen.indoor++;
        expect(stored.channels.latlng).toBeUndefined();
        expect(stored.route).toBeNull();
      } else {
        seen.route++;
        expect(stored.route?.resolution).toBe('full');
      }
      if (wire.samples.some((s) => /(^|,)(NULL)?(,|$)/.test(s.data))) seen.gaps++;
      if (!wire.samples.some((s) => s['sample-type'] === '4')) seen.noPower++;
      // a few thousand samples an hour
      const hours = (row.elapsedTimeS ?? 0) / 3600;
      expect(stored.time.length / hours).toBeGreaterThan(1500);
      expect(stored.raw).toMatchObject({ routePoints: wire.route.length });
    }
    // the sandbox served every kind of exercise the brief asks for
    for (const [kind, n] of Object.entries(seen)) expect(n, kind).toBeGreaterThan(0);

    const rows = await query(
      `select status, sample_count, octet_length(samples) as bytes, cardinality(channels) as channels
         from activity_streams`,
    );
    expect(rows).toHaveLength(16);
    const stored = rows.filter((r) => r.status === 'stored');
    const bytes = stored.reduce((sum, r) => sum + Number(r.bytes), 0);
    const values = stored.reduce((sum, r) => sum + Number(r.sample_count) * (Number(r.channels) + 1), 0);
    expect(bytes / values).toBeLessThan(4);

    // stored now: reading again costs no request
    sandbox.resetCounters();
    for (const row of activities) await trainlytics.activities.detail(row.id);
    expect(sandbox.requestCount({ pathPrefix: '/v3/' })).toBe(0);
  }, 180_000);

  it('refetches with refresh; an exercise gone at Polar (deleted, or past its 30 days) has none', async () => {
    const { connectionId, providerUserId } = await connectAndSync(6);
    const [row, other] = await trainlytics.activities.list({ connectionId, limit: 2 });
    const again = await trainlytics.activities.detail(row!.id, { refresh: true });
    expect(again.requests).toBe(1);
    await sandbox.deleteActivity(providerUserId, row!.providerActivityId);
    const gone = await trainlytics.activities.detail(row!.id, { refresh: true });
    expect(gone).toMatchObject({ status: 'none', streams: null, requests: 1 });
    // 31 days later Polar no longer serves the exercise: none, remembered (no request the next time)
    clock.advance(31 * 86_400_000);
    expect(await trainlytics.activities.detail(other!.id)).toMatchObject({ status: 'none', requests: 1 });
    expect(await trainlytics.activities.detail(other!.id)).toMatchObject({ status: 'none', requests: 0 });
  }, 60_000);

  it('has none for an exercise synced with the transactional flow (an integer id /v3/exercises does not know)', async () => {
    await trainlytics.close();
    trainlytics = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider({ exerciseFlow: 'transactional' })],
      clock,
    });
    const { connectionId } = await connectAndSync(3);
    const [row] = await trainlytics.activities.list({ connectionId, limit: 1 });
    expect(row!.providerActivityId).toMatch(/^\d+$/);
    expect(await trainlytics.activities.detail(row!.id)).toMatchObject({ status: 'none', requests: 1 });
  }, 60_000);

  it('answers a malformed sample series with a ValidationError and stores nothing', async () => {
    const { connectionId } = await connectAndSync(3);
    const activities = await trainlytics.activities.list({ connectionId, limit: 10 });
    sandbox.setFaults({ malformedItems: 1 });
    const error = await trainlytics.activities.detail(activities[0]!.id).catch((e: unknown) => e);
    expect(ValidationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'polar', entity: 'exercise samples' });
    const rows = await query('select count(*)::int as n from activity_streams');
    expect(rows[0]!.n).toBe(0);
  }, 60_000);
});
