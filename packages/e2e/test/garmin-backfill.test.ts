import { createTrainlytics, type SyncResult, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  createTestDatabase,
  FakeClock,
  type SandboxFaults,
  type TestDatabase,
} from '@trainlytics/core/testing';
import { type GarminSandbox, startGarminSandbox } from '@trainlytics/provider-garmin/sandbox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectAccount, createUser, historyRow, storedStats } from './helpers/connect';

// Garmin's backfill is asynchronous: a full sync only requests it (one request per 30-day window) and
// Garmin pushes the history later. Under each fault the backfill request's run tells the truth, the
// clean rerun completes, and once the pushed notifications arrive (and arrive again) every activity of
// the history is stored exactly once.

const FAULTS: { name: string; faults: SandboxFaults }[] = [
  { name: 'a 503 that lasts', faults: { status: { code: 503, times: 1000 } } },
  { name: 'a burst of 429s', faults: { rateLimited: { times: 2, retryAfterSeconds: 20 } } },
  { name: 'a hanging request', faults: { hangs: 1 } },
  { name: 'connection resets', faults: { connectionResets: 2 } },
  { name: 'latency', faults: { latencyMs: 20 } },
];

let database: TestDatabase;
let sandbox: GarminSandbox;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_garmin' });
  sandbox = await startGarminSandbox();
});
afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

describe('garmin: backfill under faults, then pushed notifications', () => {
  let trainlytics: Trainlytics;

  beforeEach(() => {
    sandbox.resetFaults();
    // deliveries left by an earlier test must not leak into this one
    sandbox.takeNotifications({ url: 'http://127.0.0.1/webhooks/garmin' });
    trainlytics = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider()],
      clock: new FakeClock(Date.now()),
      webhookProcessing: 'inline',
      http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 500, maxRetries: 3 },
    });
  });

  async function assertTruthful(result: SyncResult) {
    const row = await historyRow(database.pool, result.syncId);
    expect(row.sync_status).toBe(result.status);
    expect(row.sync_completed_at).not.toBeNull();
    if (result.status === 'failed') {
      expect(result.errorMessage).toBeTruthy();
      expect(row.error_message).toBe(result.errorMessage);
    }
  }

  for (const fault of FAULTS) {
    it(`a backfill requested under ${fault.name}: truthful history, clean rerun, every pushed activity stored once`, async () => {
      const userId = await createUser(database.pool, 'garmin-backfill');
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 25 });
      const connection = await connectAccount(trainlytics, sandbox, 'garmin', userId, providerUserId);
      const total = await sandbox.activityCount(providerUserId);

      sandbox.setFaults(fault.faults);
      const faulted = await trainlytics.sync(connection.id, { full: true });
      sandbox.resetFaults();
      await assertTruthful(faulted);
      if (fault.name === 'a 503 that lasts') {
        expect(faulted.status).toBe('failed');
        expect(faulted.errorMessage).toMatch(/503/);
      }

      const clean = await trainlytics.sync(connection.id, { full: true });
      expect(clean.status).toBe('success');
      await assertTruthful(clean);

      const deliveries = sandbox.takeNotifications({ url: 'http://127.0.0.1/webhooks/garmin', mode: 'push' });
      expect(deliveries.length).toBeGreaterThan(0);
      const copies = deliveries.map((r) => ({ request: r.clone(), again: r.clone() }));
      for (const { request } of copies) {
        expect((await trainlytics.webhooks.handle('garmin', request)).status).toBe(200);
      }
      let stats = await storedStats(database.pool, connection.id);
      expect(stats.rows).toBe(total);
      expect(stats.distinct).toBe(total);
      // Garmin redelivers: nothing doubles
      for (const { again } of copies) {
        expect((await trainlytics.webhooks.handle('garmin', again)).status).toBe(200);
      }
      stats = await storedStats(database.pool, connection.id);
      expect(stats.rows).toBe(total);
    });
  }
});
