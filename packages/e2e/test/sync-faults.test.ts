import { createTrainlytics, type SyncResult, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  type ConformanceSandbox,
  createTestDatabase,
  FakeClock,
  type SandboxFaults,
  type TestDatabase,
} from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectAccount, createUser, historyRow, storedStats } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// Every provider sandbox, every fault of SandboxFaults, a real PostgreSQL database: after a faulted run
// every stored activity is stored once, sync_history tells the truth, and the next clean run completes
// with exactly the provider's totals (so the cursor skipped nothing).

interface FaultCase {
  name: string;
  faults: SandboxFaults;
  /** Whether the run must fail (true), must succeed (false), or may do either (undefined). */
  fails?: boolean;
  /** The failure message must match (a person can act on it). */
  message?: RegExp;
}

const FAULTS: FaultCase[] = [
  { name: 'latency', faults: { latencyMs: 15 }, fails: false },
  { name: 'a timeout (the provider hangs once)', faults: { hangs: 1 }, fails: false },
  { name: 'a burst of 429s', faults: { rateLimited: { times: 2, retryAfterSeconds: 30 } }, fails: false },
  { name: 'two 503s (retried)', faults: { status: { code: 503, times: 2 } }, fails: false },
  {
    name: 'a 500 that lasts',
    faults: { status: { code: 500, times: 1000 } },
    fails: true,
    message: /500|server|unavailable|error/i,
  },
  { name: 'connection resets', faults: { connectionResets: 2 } },
  { name: 'a truncated JSON body', faults: { invalidJson: 1 } },
  { name: 'truncated JSON bodies that last', faults: { invalidJson: 1000 }, fails: true },
];

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_faults' });
});
afterAll(async () => {
  await database?.drop();
});

for (const sandboxCase of SANDBOX_CASES) {
  describe(`${sandboxCase.id}: syncs under faults`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;
    let clock: FakeClock;

    beforeAll(async () => {
      sandbox = await sandboxCase.start();
    });
    afterAll(async () => {
      await sandbox?.close();
    });
    beforeEach(() => {
      sandbox.resetFaults();
      sandbox.resetCounters();
      clock = new FakeClock(Date.now());
      trainlytics = createTrainlytics({
        store: postgresStore({ pool: database.pool }),
        providers: [sandbox.createProvider()],
        clock,
        http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 500, maxRetries: 3 },
      });
    });

    /** Checks what a run left behind: no duplicate, a truthful history row, nothing beyond the provider. */
    async function assertTruthful(result: SyncResult, connectionId: number, expectedMax: number) {
      const stats = await storedStats(database.pool, connectionId);
      expect(stats.rows).toBe(stats.distinct);
      expect(stats.rows).toBeLessThanOrEqual(expectedMax);
      const row = await historyRow(database.pool, result.syncId);
      expect(row.sync_status).toBe(result.status);
      expect(row.sync_completed_at).not.toBeNull();
      expect(Number(row.activities_created)).toBe(result.activitiesCreated);
      expect(Number(row.requests_made)).toBe(result.requests);
      if (result.status === 'failed') {
        expect(result.errorMessage).toBeTruthy();
        expect(row.error_message).toBe(result.errorMessage);
        expect(row.error_name).toBe(result.errorName);
        expect((await trainlytics.connections.get(connectionId))?.lastError).toBe(result.errorMessage);
      } else {
        expect(row.error_message).toBeNull();
      }
    }

    async function setup(activityCount: number) {
      const userId = await createUser(database.pool, sandboxCase.id);
      const { providerUserId } = await sandbox.seedAccount({ activityCount });
      const connection = await connectAccount(trainlytics, sandbox, sandboxCase.id, userId, providerUserId);
      return { connection, providerUserId };
    }

    for (const fault of FAULTS) {
      if (sandboxCase.backfill === 'pull') {
        it(`full sync under ${fault.name}: nothing lost, nothing doubled, history truthful, clean rerun completes`, async () => {
          const { connection, providerUserId } = await setup(sandboxCase.incrementalCount);
          const total = await sandbox.activityCount(providerUserId);
          let pages = 0;
          sandbox.resetCounters();
          const faulted = await trainlytics.sync(connection.id, {
            full: true,
            onProgress: () => {
              // the fault starts after the first committed page: a failure falls between two pages
              if (++pages === 1) sandbox.setFaults(fault.faults);
            },
          });
          sandbox.resetFaults();
          expect(faulted.requests).toBe(sandbox.requestCount());
          if (fault.fails !== undefined) expect(faulted.status).toBe(fault.fails ? 'failed' : 'success');
          if (fault.message && faulted.errorMessage) expect(faulted.errorMessage).toMatch(fault.message);
          await assertTruthful(faulted, connection.id, total);
          if (faulted.status === 'success') {
            expect((await storedStats(database.pool, connection.id)).rows).toBe(total);
          } else {
            // the committed first page is kept
            expect((await storedStats(database.pool, connection.id)).rows).toBeGreaterThan(0);
          }

          sandbox.resetCounters();
          const clean = await trainlytics.sync(connection.id, { full: true });
          expect(clean.status).toBe('success');
          expect(Number((await historyRow(database.pool, clean.syncId)).requests_made)).toBe(clean.requests);
          expect(clean.requests).toBe(sandbox.requestCount());
          await assertTruthful(clean, connection.id, total);
          expect((await storedStats(database.pool, connection.id)).rows).toBe(total);
        });
      }

      it(`incremental sync under ${fault.name}: the cursor skips nothing and the clean rerun completes`, async () => {
        const { connection, providerUserId } = await setup(3);
        // a first clean run sets the cursor (Garmin's first pull; a backfill for the pull providers)
        const first = await trainlytics.sync(connection.id, { full: sandboxCase.backfill === 'pull' });
        expect(first.status).toBe('success');
        const baseline = (await storedStats(database.pool, connection.id)).rows;
        clock.advance(60_000);
        const added = await sandbox.addActivities(providerUserId, sandboxCase.incrementalCount);
        clock.advance(60_000);
        const expected = baseline + added.length;

        sandbox.resetCounters();
        sandbox.setFaults(fault.faults);
        const faulted = await trainlytics.sync(connection.id);
        sandbox.resetFaults();
        // every request counts, retries included: the history and the provider agree
        expect(faulted.requests).toBe(sandbox.requestCount());
        if (fault.fails !== undefined) expect(faulted.status).toBe(fault.fails ? 'failed' : 'success');
        if (fault.message && faulted.errorMessage) expect(faulted.errorMessage).toMatch(fault.message);
        await assertTruthful(faulted, connection.id, expected);
        if (faulted.status === 'success') {
          expect((await storedStats(database.pool, connection.id)).rows).toBe(expected);
        }

        clock.advance(60_000);
        sandbox.resetCounters();
        const clean = await trainlytics.sync(connection.id);
        expect(clean.status).toBe('success');
        // the history counts the requests the provider really received
        expect(Number((await historyRow(database.pool, clean.syncId)).requests_made)).toBe(clean.requests);
        expect(clean.requests).toBe(sandbox.requestCount());
        await assertTruthful(clean, connection.id, expected);
        const stored = await database.pool.query(
          'select provider_activity_id from activities where connection_id = $1',
          [connection.id],
        );
        const ids = new Set(stored.rows.map((r) => String(r.provider_activity_id)));
        if (sandboxCase.addedIdsAreListed) for (const id of added) expect(ids.has(id)).toBe(true);
        expect(ids.size).toBe(expected);
        if (sandboxCase.backfill === 'pull') {
          expect(expected).toBe(await sandbox.activityCount(providerUserId));
        }
      });
    }

    it('a refresh token that stops working: the run fails saying the user must reconnect; after reconnecting the next run completes', async () => {
      const { connection, providerUserId } = await setup(sandboxCase.incrementalCount);
      const provider = trainlytics.getProvider(sandboxCase.id);
      await sandbox.expireAccessTokens(providerUserId);
      sandbox.setFaults({ rejectRefresh: true });
      const failed = await trainlytics.sync(connection.id, { full: sandboxCase.backfill === 'pull' });
      sandbox.resetFaults();
      expect(failed.status).toBe('failed');
      expect(failed.errorMessage).toMatch(/reconnect/i);
      await assertTruthful(failed, connection.id, 0);
      expect((await trainlytics.connections.get(connection.id))?.status).toBe('reauth_required');
      if (provider.capabilities.refresh) {
        expect(failed.errorName).toMatch(/Reauthorization|TokenExpired/);
      }
      // a run while reauth is required fails at once, without a request
      sandbox.resetCounters();
      const blocked = await trainlytics.sync(connection.id);
      expect(blocked.status).toBe('failed');
      expect(blocked.requests).toBe(0);
      expect(sandbox.requestCount()).toBe(0);

      const userId = connection.userId;
      const again = await connectAccount(trainlytics, sandbox, sandboxCase.id, userId, providerUserId);
      expect(again.id).toBe(connection.id);
      expect(again.status).toBe('active');
      const clean = await trainlytics.sync(connection.id, { full: sandboxCase.backfill === 'pull' });
      expect(clean.status).toBe('success');
      await assertTruthful(clean, connection.id, await sandbox.activityCount(providerUserId));
      if (sandboxCase.backfill === 'pull') {
        expect((await storedStats(database.pool, connection.id)).rows).toBe(
          await sandbox.activityCount(providerUserId),
        );
      }
    });
  });
}
