import type { FetchFunction } from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { garmin } from '@trainlytics/provider-garmin';
import {
  type GarminSandbox,
  type GeneratedHistory,
  type StoredSummary,
  startGarminSandbox,
} from '@trainlytics/provider-garmin/sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, createUser } from './helpers/connect';
import {
  assertModelProperty,
  type CommonOp,
  type ComparedActivity,
  commonOpArbs,
  createModelDatabase,
  type Delivery,
  deliveryArb,
  expectSameActivities,
  type ModelDatabase,
  ModelRun,
  propertyTimeout,
  type SyncOp,
  storedActivities,
  syncOpArb,
} from './helpers/model-world';

// Model-based property test, Garmin. Garmin is push/ping based: a full sync only *requests* a backfill
// (Garmin delivers it later as notifications), an incremental sync pulls by upload time in 24-hour
// windows. fast-check generates a user's history (some of it older than the first 7-day pull, multisport
// legs included) and operations: syncs in their own processes (faults, kills at any request, database
// restarts mid-run), uploads (now, or late: an old activity uploaded now; announced by push, by ping, or
// not at all), backfill deliveries (push or ping, now, later or twice, possibly while the API fails),
// token expiry (by time or revoked) with rotation, database restarts between operations.
//
// "Final sync" for Garmin is what brings a connection up to date: Garmin delivers every notification it
// has not had a 2xx for, then an incremental sync runs. Then every activity uploaded since the connection
// is stored (stage A). A full sync and the delivery of its backfill then bring the rest of the history
// (stage B): stored == Garmin's activities exactly (ids, name, type, start, distance), every run closed
// with honest counts. Garmin has no deletion notification and summaries are not edited, so the model has
// neither.

const HOUR_S = 3600;
const DAY_S = 86_400;

// ------------------------------------------------------------------ test-side history control

interface UserInternals {
  history: GeneratedHistory;
  extras: StoredSummary[];
}

/**
 * Uploads (now) an activity that ended `agoS` seconds ago, through the list `addActivities` fills (the
 * sandbox's accounts, `src/sandbox/sandbox-accounts.ts`).
 */
function uploadActivity(sandbox: GarminSandbox, userId: string, agoS: number): string {
  const internals = sandbox as unknown as { state: { accounts: { get(id: string): UserInternals } } };
  const user = internals.state.accounts.get(userId);
  if (!user) throw new Error(`no Garmin user ${userId}`);
  const nowS = Math.floor(sandbox.clock.now().getTime() / 1000);
  const index = user.history.count + user.extras.length;
  const summary = user.history.activityEndingAt(index, nowS - agoS);
  user.extras.push({ summary, uploadTimeInSeconds: nowS });
  return summary.summaryId;
}

function providerActivities(sandbox: GarminSandbox, userId: string): Map<string, ComparedActivity> {
  const out = new Map<string, ComparedActivity>();
  for (const s of sandbox.summariesStartedBetween(userId, 0, 2 ** 31 - 1)) {
    if (s.isParent) continue; // a multisport parent: its legs are the activities
    out.set(s.summaryId, {
      id: s.summaryId,
      name: s.activityName ?? null,
      sport: s.activityType ?? null,
      start: new Date(s.startTimeInSeconds * 1000).toISOString(),
      distance: s.distanceInMeters ?? null,
    });
  }
  return out;
}

// ------------------------------------------------------------------ the generated case

type Mode = 'push' | 'ping';
const modeArb = fc.constantFrom<Mode>('push', 'ping');

type Op =
  | SyncOp
  | { op: 'upload'; count: number; agoDays: number; notify: Mode | 'none'; delivery: Delivery }
  | { op: 'backfillArrives'; mode: Mode; delivery: Delivery }
  | CommonOp
  | { op: 'expireToken' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: syncOpArb, weight: 4 },
  {
    arbitrary: fc.record({
      op: fc.constant('upload' as const),
      count: fc.integer({ min: 1, max: 3 }),
      agoDays: fc.constantFrom(0, 0, 1, 10, 40),
      notify: fc.constantFrom<Mode | 'none'>('push', 'ping', 'none'),
      delivery: deliveryArb,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('backfillArrives' as const),
      mode: modeArb,
      delivery: deliveryArb,
    }),
    weight: 2,
  },
  ...commonOpArbs,
  { arbitrary: fc.record({ op: fc.constant('expireToken' as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(1000, HOUR_S * 1000, 25 * HOUR_S * 1000),
    }),
    weight: 1,
  },
);

interface Case {
  activities: number;
  days: number;
  finalMode: Mode;
  ops: Op[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  activities: fc.integer({ min: 0, max: 12 }),
  days: fc.integer({ min: 1, max: 20 }),
  finalMode: modeArb,
  ops: fc.array(opArb, { maxLength: 10 }),
});

// ------------------------------------------------------------------ running a case

let db: ModelDatabase;
let sandbox: GarminSandbox;
const clock = new FakeClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  db = await createModelDatabase('tl_e2e_model_garmin');
  sandbox = await startGarminSandbox({ clock });
});
afterAll(async () => {
  await sandbox?.close();
  await db?.drop();
});

const WEBHOOK_URL = 'http://127.0.0.1/webhooks/garmin';

async function runCase(c: Case): Promise<void> {
  sandbox.resetFaults();
  sandbox.takeNotifications({ url: WEBHOOK_URL }); // nothing of an earlier case leaks into this one
  // a backfill of 90 days (3 requests) covers every generated history and late upload
  const provider = (fetch: FetchFunction) =>
    garmin({
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      apiUrl: sandbox.apiUrl,
      authorizeUrl: sandbox.authorizeUrl,
      tokenUrl: sandbox.tokenUrl,
      env: {},
      backfillDays: 90,
      fetch,
    });

  const { providerUserId } = await sandbox.seedAccount({ activityCount: c.activities, days: c.days });
  const run = new ModelRun({ db, clock, sandbox, providerId: 'garmin', provider });
  const userId = await createUser(db.database.pool, 'model-garmin');
  const connect = () => connectAccount(run.server.trainlytics, sandbox, 'garmin', userId, providerUserId);
  const connection = await connect();
  /** Ids uploaded since the connection: an incremental sync alone must bring them. */
  const uploaded: string[] = [];

  async function backfillArrives(mode: Mode, delivery: Delivery) {
    for (const request of sandbox.takeNotifications({ url: WEBHOOK_URL, mode })) {
      await run.outbox.send(request, delivery);
    }
  }

  for (const op of c.ops) {
    switch (op.op) {
      case 'sync':
        await run.sync(connection.id, op);
        break;
      case 'upload': {
        for (let k = 0; k < op.count; k++) {
          const id = uploadActivity(sandbox, providerUserId, op.agoDays * DAY_S + (k + 1) * HOUR_S);
          uploaded.push(id);
          if (op.notify === 'none') continue;
          const request = await sandbox.webhookRequest(
            { type: 'activity.created', providerUserId, providerActivityId: id },
            { url: WEBHOOK_URL, mode: op.notify },
          );
          if (request) await run.outbox.send(request, op.delivery);
        }
        break;
      }
      case 'backfillArrives':
        await backfillArrives(op.mode, op.delivery);
        break;
      case 'expireToken':
        await sandbox.expireAccessTokens(providerUserId);
        break;
      case 'advance':
        clock.advance(op.ms);
        break;
      default:
        await run.common(op);
    }
  }

  // the final phase: Garmin retries a notification until it gets a 2xx; then an incremental sync
  await run.settle(connection.id, connect);
  await backfillArrives(c.finalMode, 'later');
  await run.outbox.deliverAll();
  await run.finalSync(connection.id);

  // stage A: every upload since the connection is stored; nothing is stored twice or that Garmin lacks
  const current = providerActivities(sandbox, providerUserId);
  let stored = await storedActivities(db.storePool, connection.id);
  expect(uploaded.filter((id) => !stored.has(id))).toEqual([]);
  expect([...stored.keys()].filter((id) => !current.has(id))).toEqual([]);

  // stage B: a full sync requests the backfill, Garmin delivers it: stored == Garmin's history
  await run.finalSync(connection.id, true);
  await backfillArrives(c.finalMode, 'later');
  await run.outbox.deliverAll();
  stored = await storedActivities(db.storePool, connection.id);
  expectSameActivities(stored, providerActivities(sandbox, providerUserId));
  await run.assertHistory(connection.id);
}

/** Shrunk counterexamples, replayed first on every run. */
const REGRESSIONS: Case[] = [
  // the rotated refresh token lost in a database restart (see model-strava.property.test.ts, regression 3)
  {
    activities: 0,
    days: 1,
    finalMode: 'push',
    ops: [{ op: 'expireToken' }, { op: 'sync', full: false, restart: { atRequest: 2, outage: 1 } }],
  },
];

const RUNS = 25;

describe('garmin: model-based property (history × syncs, notifications, backfill, faults, kills, restarts, tokens)', () => {
  it(
    'after the final delivery and syncs the stored activities are exactly Garmin’s, every run closed with honest counts',
    async () => {
      await assertModelProperty(caseArb, runCase, REGRESSIONS, RUNS);
    },
    propertyTimeout(RUNS, 4000),
  );
});
