import { createTrainlytics, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { type ConformanceSandbox, createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectAccount, createUser } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// Webhook deliveries that must be refused (oversized, unsigned, badly signed) or must change nothing
// (a replay, an account nobody connected): the right status, and no side effect at all — no activity
// written, no sync_history row, no delivery recorded, no request made to the provider.

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** How each provider authenticates a delivery, and how to break it. */
const AUTH: Record<
  string,
  {
    unsigned(request: Parts): Parts;
    badlySigned: { name: string; tamper(request: Parts): Parts }[];
    unsignedStatus: number;
    badStatus: number;
  }
> = {
  strava: {
    // Strava does not sign: the push subscription id authenticates the event
    unsigned: (r) => ({ ...r, body: r.body.replace(/"subscription_id"\s*:\s*"?\d+"?,?/, '') }),
    badlySigned: [
      {
        name: 'another subscription id',
        tamper: (r) => ({ ...r, body: r.body.replace(/("subscription_id"\s*:\s*"?)(\d+)/, '$1999$2') }),
      },
    ],
    unsignedStatus: 403,
    badStatus: 403,
  },
  garmin: {
    unsigned: (r) => ({ ...r, headers: without(r.headers, 'garmin-client-id') }),
    badlySigned: [
      {
        name: 'a client id differing in its last byte',
        tamper: (r) => withHeader(r, 'garmin-client-id', lastByte),
      },
      {
        name: 'a client id one byte longer',
        tamper: (r) => withHeader(r, 'garmin-client-id', (v) => `${v}x`),
      },
    ],
    unsignedStatus: 401,
    badStatus: 403,
  },
  polar: {
    unsigned: (r) => ({ ...r, headers: without(r.headers, 'polar-webhook-signature') }),
    badlySigned: [
      {
        name: 'a signature differing in its last byte',
        tamper: (r) => withHeader(r, 'polar-webhook-signature', lastByte),
      },
      {
        name: 'a signature of a different length',
        tamper: (r) => withHeader(r, 'polar-webhook-signature', (v) => `${v}0`),
      },
      {
        name: 'a valid signature of another body',
        tamper: (r) => ({ ...r, body: r.body.replace(/}\s*$/, ',"x":1}') }),
      },
    ],
    unsignedStatus: 401,
    badStatus: 401,
  },
};

interface Parts {
  url: string;
  method: string;
  headers: [string, string][];
  body: string;
}

const lastByte = (v: string) => v.slice(0, -1) + (v.endsWith('a') ? 'b' : 'a');
const without = (headers: [string, string][], name: string) =>
  headers.filter(([k]) => k.toLowerCase() !== name);
function withHeader(r: Parts, name: string, change: (v: string) => string): Parts {
  return { ...r, headers: r.headers.map(([k, v]) => [k, k.toLowerCase() === name ? change(v) : v]) };
}
async function toParts(request: Request): Promise<Parts> {
  return {
    url: request.url,
    method: request.method,
    headers: [...request.headers.entries()].filter(([k]) => k !== 'content-length'),
    body: await request.text(),
  };
}
const toRequest = (p: Parts) => new Request(p.url, { method: p.method, headers: p.headers, body: p.body });

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_webhooks' });
});
afterAll(async () => {
  await database?.drop();
});

async function sideEffects() {
  const { rows } = await database.pool.query(`select
    (select count(*)::int from activities) as activities,
    (select count(*)::int from sync_history) as history,
    (select count(*)::int from trainlytics_webhook_events) as deliveries,
    (select count(*)::int from provider_connections where is_active) as active`);
  return rows[0];
}

for (const sandboxCase of SANDBOX_CASES) {
  describe(`${sandboxCase.id}: webhook deliveries refused or without effect`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;
    let valid: Parts;
    let providerUserId: string;
    let activityId: string;
    const auth = AUTH[sandboxCase.id]!;

    beforeAll(async () => {
      sandbox = await sandboxCase.start();
      trainlytics = createTrainlytics({
        store: postgresStore({ pool: database.pool }),
        providers: [sandbox.createProvider()],
        http: { baseDelayMs: 1, maxDelayMs: 5 },
      });
      const userId = await createUser(database.pool, `${sandboxCase.id}-webhooks`);
      ({ providerUserId } = await sandbox.seedAccount({ activityCount: 2 }));
      await connectAccount(trainlytics, sandbox, sandboxCase.id, userId, providerUserId);
      [activityId] = (await sandbox.addActivities(providerUserId, 1)) as [string];
      const request = await sandbox.webhookRequest({
        type: 'activity.created',
        providerUserId,
        providerActivityId: activityId,
      });
      if (!request) throw new Error('every sandbox sends activity.created deliveries');
      valid = await toParts(request);
    });
    afterAll(async () => {
      await sandbox?.close();
    });
    beforeEach(() => sandbox.resetCounters());

    async function expectRefused(parts: Parts | Request, status: number) {
      const before = await sideEffects();
      const response = await trainlytics.webhooks.handle(
        sandboxCase.id,
        parts instanceof Request ? parts : toRequest(parts),
      );
      await trainlytics.webhooks.idle();
      expect(response.status).toBe(status);
      expect(await sideEffects()).toEqual(before);
      expect(sandbox.requestCount()).toBe(0);
    }

    it('an oversized body: 413 before anything is parsed', async () => {
      const limit = trainlytics.getProvider(sandboxCase.id).webhooks?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const padded = `${valid.body.replace(/}\s*$/, '')},"pad":"${'x'.repeat(limit)}"}`;
      await expectRefused({ ...valid, body: padded }, 413);
      // a declared Content-Length over the limit is refused without reading the body
      await expectRefused(
        { ...valid, headers: [...valid.headers, ['content-length', String(limit + 1)]], body: padded },
        413,
      );
    });

    it('an unsigned delivery is refused', async () => {
      await expectRefused(auth.unsigned(valid), auth.unsignedStatus);
    });

    for (const bad of auth.badlySigned) {
      it(`a delivery with ${bad.name} is refused`, async () => {
        await expectRefused(bad.tamper(valid), auth.badStatus);
      });
    }

    it('a body that is not JSON is refused with 4xx', async () => {
      const before = await sideEffects();
      // (Polar checks the signature first, so its answer is the signature's 401; the others parse: 400)
      const request = toRequest({ ...valid, body: '{"truncated": ' });
      const response = await trainlytics.webhooks.handle(sandboxCase.id, request);
      await trainlytics.webhooks.idle();
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(await sideEffects()).toEqual(before);
    });

    it('the valid delivery is stored once; its replay is acknowledged and changes nothing', async () => {
      const first = await trainlytics.webhooks.handle(sandboxCase.id, toRequest(valid));
      await trainlytics.webhooks.idle();
      expect(first.status).toBe(200);
      const stored = await database.pool.query(
        'select count(*)::int as n from activities where provider = $1 and provider_activity_id = $2',
        [sandboxCase.id, activityId],
      );
      expect(stored.rows[0]?.n).toBe(1);
      sandbox.resetCounters();
      const before = await sideEffects();
      const replay = await trainlytics.webhooks.handle(sandboxCase.id, toRequest(valid));
      await trainlytics.webhooks.idle();
      expect(replay.status).toBe(200);
      expect(await sideEffects()).toEqual(before);
      expect(sandbox.requestCount()).toBe(0);
    });

    it('a delivery for an account nobody connected is acknowledged (200) and changes nothing', async () => {
      const { providerUserId: stranger } = await sandbox.seedAccount({ activityCount: 1 });
      const [strangerActivity] = (await sandbox.addActivities(stranger, 1)) as [string];
      const request = await sandbox.webhookRequest({
        type: 'activity.created',
        providerUserId: stranger,
        providerActivityId: strangerActivity,
      });
      sandbox.resetCounters();
      const before = await sideEffects();
      const response = await trainlytics.webhooks.handle(sandboxCase.id, request as Request);
      await trainlytics.webhooks.idle();
      expect(response.status).toBe(200);
      const after = await sideEffects();
      expect(after?.activities).toBe(before?.activities);
      expect(after?.history).toBe(before?.history);
      expect(after?.active).toBe(before?.active);
      expect(sandbox.requestCount()).toBe(0);
    });
  });
}
