import { createTrainlytics, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  type ConformanceSandbox,
  type ConformanceWebhookEvent,
  createTestDatabase,
  FakeClock,
  type TestDatabase,
} from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, createUser, storedStats } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// A webhook announces a new activity while the provider's API is failing (Strava and Polar fetch the
// announced activity; Garmin in ping mode fetches the callback URL). The delivery is acknowledged, the
// fetch fails, the failure is recorded — and the next incremental sync stores the activity, exactly once.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_webhook_faults' });
});
afterAll(async () => {
  await database?.drop();
});

for (const sandboxCase of SANDBOX_CASES) {
  describe(`${sandboxCase.id}: a webhook whose fetch fails`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;

    beforeAll(async () => {
      sandbox = await sandboxCase.start();
      trainlytics = createTrainlytics({
        store: postgresStore({ pool: database.pool }),
        providers: [sandbox.createProvider()],
        clock: new FakeClock(Date.now()),
        webhookProcessing: 'inline',
        http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 500, maxRetries: 2 },
      });
    });
    afterAll(async () => {
      await sandbox?.close();
    });

    it('loses nothing: the next incremental sync stores the announced activity once', async () => {
      const userId = await createUser(database.pool, `${sandboxCase.id}-webhook-fault`);
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 3 });
      const connection = await connectAccount(trainlytics, sandbox, sandboxCase.id, userId, providerUserId);
      expect((await trainlytics.sync(connection.id, { full: sandboxCase.backfill === 'pull' })).status).toBe(
        'success',
      );
      const baseline = (await storedStats(database.pool, connection.id)).rows;
      const [activityId] = (await sandbox.addActivities(providerUserId, 1)) as [string];
      const event: ConformanceWebhookEvent = {
        type: 'activity.created',
        providerUserId,
        providerActivityId: activityId,
      };
      const request = await (
        sandbox as ConformanceSandbox & {
          webhookRequest(e: ConformanceWebhookEvent, o: { mode?: 'ping' }): Promise<Request | null>;
        }
      ).webhookRequest(event, sandboxCase.id === 'garmin' ? { mode: 'ping' } : {});
      expect(request).not.toBeNull();

      sandbox.setFaults({ status: { code: 503, times: 1000 } });
      const response = await trainlytics.webhooks.handle(sandboxCase.id, request as Request);
      sandbox.resetFaults();
      // inline mode tells the provider to deliver again, and the delivery's key is not remembered, so the
      // redelivery is processed rather than dropped as a duplicate
      expect(response.status).toBe(503);
      const remembered = await database.pool.query(
        'select count(*)::int as n from trainlytics_webhook_events',
      );
      expect(remembered.rows[0]?.n).toBe(0);
      const afterWebhook = await storedStats(database.pool, connection.id);
      expect(afterWebhook.rows).toBe(baseline);
      const failed = await database.pool.query(
        "select sync_status, error_message from sync_history where connection_id = $1 and sync_type = 'webhook'",
        [connection.id],
      );
      // the webhook's run is recorded as failed, saying why
      expect(failed.rows).toHaveLength(1);
      expect(failed.rows[0]?.sync_status).toBe('failed');
      expect(String(failed.rows[0]?.error_message)).toMatch(/503/);

      // and if it never comes again, the next incremental sync still stores it
      const next = await trainlytics.sync(connection.id);
      expect(next.status).toBe('success');
      const stored = await database.pool.query(
        'select count(*)::int as n from activities where connection_id = $1 and provider_activity_id = $2',
        [connection.id, activityId],
      );
      if (sandboxCase.addedIdsAreListed) expect(stored.rows[0]?.n).toBe(1);
      const stats = await storedStats(database.pool, connection.id);
      expect(stats.rows).toBe(baseline + 1);
      expect(stats.distinct).toBe(stats.rows);
    });
  });
}
