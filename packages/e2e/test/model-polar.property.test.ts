import type { FetchFunction } from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { polar } from '@trainlytics/provider-polar';
import { decodeExerciseId, type PolarSandbox, startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
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

// Model-based property test, Polar. fast-check generates a user's 30-day history and operations: syncs
// in their own processes (faults, kills at any request, database restarts mid-run), uploads (several
// exercises with the same upload instant), EXERCISE webhooks delivered now, later or twice (possibly
// while the API fails), revoked tokens (Polar tokens do not refresh: the user reconnects), clock moves,
// database restarts between operations. The exercise flow is generated too: the default `exercises`
// listing (with a small page size, so upload-time ties straddle pages) or the legacy transactions.
//
// The invariant, after the final phase (the user reconnects if Polar revoked the token, Polar delivers
// every event it has not had a 2xx for, one incremental sync): the connection's rows equal Polar's
// exercises (ids, sport, start, distance; the name is derived from the sport by the plugin, so not
// compared), every run closed with honest counts. Polar has no deletion or edit event and its listing
// covers 30 days: the model keeps its clock moves inside the window (at most a few hours in all).

const HOUR_MS = 3_600_000;

type Flow = 'exercises' | 'transactional';

/**
 * Polar's exercises as its API lists them right now (`GET /v3/exercises` with the connection's token),
 * read by the test itself: ids as the chosen flow names them (transactional ids are the integers Polar
 * gives the same exercises in that flow).
 */
async function providerActivities(
  sandbox: PolarSandbox,
  accessToken: string,
  flow: Flow,
): Promise<Map<string, ComparedActivity>> {
  const res = await fetch(`${sandbox.apiUrl}/exercises`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(res.status).toBe(200);
  const items = (await res.json()) as Array<Record<string, unknown>>;
  const out = new Map<string, ComparedActivity>();
  for (const item of items) {
    const hashed = String(item.id);
    const id = flow === 'exercises' ? hashed : String(1_000_000 + decodeExerciseId(hashed)!.index);
    const offsetMin = Number(item.start_time_utc_offset);
    const start = Date.parse(`${String(item.start_time)}Z`) - offsetMin * 60_000;
    out.set(id, {
      id,
      name: null,
      sport: (item.detailed_sport_info as string | undefined) ?? (item.sport as string | undefined) ?? null,
      start: new Date(start).toISOString(),
      distance: typeof item.distance === 'number' ? item.distance : null,
    });
  }
  return out;
}

// ------------------------------------------------------------------ the generated case

type Op =
  | SyncOp
  | { op: 'upload'; count: number; notify: boolean; delivery: Delivery }
  | CommonOp
  | { op: 'revokeToken' }
  | { op: 'reconnect' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: syncOpArb, weight: 4 },
  {
    arbitrary: fc.record({
      op: fc.constant('upload' as const),
      count: fc.integer({ min: 1, max: 4 }),
      notify: fc.boolean(),
      delivery: deliveryArb,
    }),
    weight: 2,
  },
  ...commonOpArbs,
  { arbitrary: fc.record({ op: fc.constant('revokeToken' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('reconnect' as const) }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.constantFrom(1000, 60_000, HOUR_MS) }),
    weight: 1,
  },
);

interface Case {
  flow: Flow;
  pageSize: number;
  activities: number;
  ops: Op[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  flow: fc.constantFrom<Flow>('exercises', 'exercises', 'transactional'),
  pageSize: fc.integer({ min: 1, max: 4 }),
  activities: fc.integer({ min: 0, max: 12 }),
  ops: fc.array(opArb, { maxLength: 10 }),
});

// ------------------------------------------------------------------ running a case

let db: ModelDatabase;
let sandbox: PolarSandbox;
const clock = new FakeClock(Date.parse('2026-03-02T12:00:00Z'));

beforeAll(async () => {
  db = await createModelDatabase('tl_e2e_model_polar');
  sandbox = await startPolarSandbox({ clock, rateLimit: { windowMs: 15 * 60_000, limit: 1_000_000 } });
});
afterAll(async () => {
  await sandbox?.close();
  await db?.drop();
});

const WEBHOOK_URL = 'http://127.0.0.1/webhooks/polar';

async function runCase(c: Case): Promise<void> {
  sandbox.resetFaults();
  const provider = (fetch: FetchFunction) =>
    polar({
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      apiUrl: sandbox.apiUrl,
      authorizeUrl: sandbox.authorizeUrl,
      tokenUrl: sandbox.tokenUrl,
      webhookSecret: sandbox.webhookSecret,
      env: {},
      exerciseFlow: c.flow,
      pageSize: c.pageSize,
      fetch,
    });

  const { providerUserId } = await sandbox.seedAccount({ activityCount: c.activities });
  const run = new ModelRun({ db, clock, sandbox, providerId: 'polar', provider });
  const userId = await createUser(db.database.pool, 'model-polar');
  const connect = () => connectAccount(run.server.trainlytics, sandbox, 'polar', userId, providerUserId);
  const connection = await connect();

  for (const op of c.ops) {
    switch (op.op) {
      case 'sync':
        await run.sync(connection.id, op);
        break;
      case 'upload': {
        const ids = await sandbox.addActivities(providerUserId, op.count);
        // an open finding: in the transactional flow a webhook stores the exercise under its hashed id and the
        // transaction under its integer id (stored twice; see OPEN_FINDING), so only the exercises flow
        // gets webhooks here
        if (!op.notify || c.flow === 'transactional') break;
        for (const id of ids) {
          const request = await sandbox.webhookRequest(
            { type: 'activity.created', providerUserId, providerActivityId: id },
            { url: WEBHOOK_URL },
          );
          if (request) await run.outbox.send(request, op.delivery);
        }
        break;
      }
      case 'revokeToken':
        await sandbox.expireAccessTokens(providerUserId);
        break;
      case 'reconnect':
        await connect();
        break;
      case 'advance':
        clock.advance(op.ms);
        break;
      default:
        await run.common(op);
    }
  }

  // the final phase: Polar tokens never refresh, so whoever revoked one, the user reconnects (the flow
  // registers them again); Polar delivers every event it has not had a 2xx for; one incremental sync
  const revoked = c.ops.some((op) => op.op === 'revokeToken');
  await run.settle(connection.id, connect, { revoked });
  if (revoked) await connect();
  const state = await run.server.trainlytics.connections.get(connection.id);
  expect(state?.status, `connection state: ${state?.lastError}`).toBe('active');
  await run.outbox.deliverAll();
  await run.finalSync(connection.id);

  const { rows } = await db.database.pool.query(
    'select access_token from provider_connections where id = $1',
    [connection.id],
  );
  const expected = await providerActivities(sandbox, String(rows[0]?.access_token), c.flow);
  expectSameActivities(await storedActivities(db.storePool, connection.id), expected, { ignore: ['name'] });
  await run.assertHistory(connection.id);
}

/**
 * Open finding, not replayed (it fails until the plugin's owner decides the fix): the legacy
 * transactional flow and an EXERCISE webhook. The webhook stores the exercise under its hashed id
 * (`GET /v3/exercises/{id}`), the transaction lists the same exercise under its integer id, so it is
 * stored twice. Shrunk counterexample (replay it by passing it in `REGRESSIONS` without the flow guard):
 */
export const OPEN_FINDING: Case = {
  flow: 'transactional',
  pageSize: 1,
  activities: 0,
  ops: [{ op: 'upload', count: 1, notify: true, delivery: 'now' }],
};

/** Shrunk counterexamples, replayed first on every run. */
const REGRESSIONS: Case[] = [];

const RUNS = 25;

describe('polar: model-based property (history × syncs, webhooks, faults, kills, restarts, revoked tokens)', () => {
  it(
    'after the final phase the stored activities are exactly Polar’s, every run closed with honest counts',
    async () => {
      await assertModelProperty(caseArb, runCase, REGRESSIONS, RUNS);
    },
    propertyTimeout(RUNS, 4000),
  );
});
