import type { FetchFunction } from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { strava } from '@trainlytics/provider-strava';
import {
  type StravaSandbox,
  type StravaSandboxOptions,
  type StravaSandboxWebhookEvent,
  startStravaSandbox,
} from '@trainlytics/provider-strava/sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
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

// Model-based property test, Strava. fast-check generates an athlete's history (start seconds shared by
// several activities, within and across pages; ids beyond 2^53) and a sequence of operations: full and
// incremental syncs (each a separate "process", like `trainlytics sync`), under 429s, 5xx, resets,
// timeouts and broken bodies, killed at any request or with the database's sessions terminated mid-run;
// uploads (now, or late with an old start), edits, deletions, each announced by a webhook that Strava
// delivers now, later, or twice (possibly while the API fails); token expiry (by time or revoked) and
// rotation; database restarts between operations.
//
// The invariant, after the final phase (Strava delivers every event it has not had a 2xx for, then one
// incremental sync):
// - the connection's rows in `activities` are exactly Strava's current activities (none missing, none
//   duplicated, none stale: id, name, sport type, start, distance);
// - every `sync_history` row is closed, and its counts are honest (see `assertHonestHistory`).
//
// Deletions: Strava's listing never says what was deleted, so neither a full nor an incremental sync can
// remove a stored activity; the design (and Strava's contract) is that the `delete` webhook does. The
// property therefore holds "after the webhooks for deletes are delivered", like Strava's own retries do.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

// ------------------------------------------------------------------ history controls

const SPORTS = ['Run', 'Ride', 'Swim', 'Hike', 'Crossfit', 'BackcountrySki', 'Walk'];

let nextAthlete = 0;

function providerActivities(sandbox: StravaSandbox, athleteId: string): Map<string, ComparedActivity> {
  const out = new Map<string, ComparedActivity>();
  for (const id of sandbox.activityIds(athleteId)) {
    const a = sandbox.getActivity(athleteId, id)!;
    out.set(id, {
      id,
      name: (a.name as string) ?? null,
      sport: (a.sport_type as string) ?? null,
      start: new Date(a.start_date).toISOString(),
      distance: typeof a.distance === 'number' ? a.distance : null,
    });
  }
  return out;
}

// ------------------------------------------------------------------ the generated case

/** A start time: whole hours back from "now", often equal to another one's. */
type Slot = { day: number; hour: number };
const slotArb: fc.Arbitrary<Slot> = fc.record({
  day: fc.integer({ min: 0, max: 3 }),
  hour: fc.integer({ min: 0, max: 2 }),
});

/** A change at Strava: an upload (now, or late with an old start), an edit, a deletion. */
type Change =
  | { change: 'upload'; late: Slot | null }
  | { change: 'edit'; pick: number; edit: number }
  | { change: 'delete'; pick: number };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ change: fc.constant('upload' as const), late: fc.option(slotArb) }),
  fc.record({ change: fc.constant('edit' as const), pick: fc.nat(), edit: fc.nat({ max: 1000 }) }),
  fc.record({ change: fc.constant('delete' as const), pick: fc.nat() }),
);

type Op =
  | (SyncOp & { during?: { atRequest: number; change: Change } })
  | { op: 'change'; change: Change; delivery: Delivery }
  | CommonOp
  | { op: 'expireToken' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: syncOpArb, weight: 3 },
  {
    // the athlete uploads, edits or deletes between two requests of a sync (a backfill, say); the event
    // is delivered later (the sync holds the connection's lease meanwhile)
    arbitrary: fc
      .tuple(syncOpArb, fc.integer({ min: 1, max: 6 }), changeArb)
      .map(([sync, atRequest, change]) => ({ ...sync, during: { atRequest, change } })),
    weight: 2,
  },
  {
    arbitrary: fc.record({ op: fc.constant('change' as const), change: changeArb, delivery: deliveryArb }),
    weight: 4,
  },
  ...commonOpArbs,
  { arbitrary: fc.record({ op: fc.constant('expireToken' as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(60_000, HOUR_MS, 7 * HOUR_MS),
    }),
    weight: 1,
  },
);

interface Case {
  pageSize: number;
  ascending: boolean;
  generated: number;
  /** Runs of this many generated activities share one start second. */
  tieSize: number;
  /** Every id beyond 2^53 (else only the newest generated one). */
  unsafeIds: boolean;
  initial: Slot[];
  ops: Op[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  pageSize: fc.integer({ min: 1, max: 4 }),
  ascending: fc.boolean(),
  generated: fc.integer({ min: 0, max: 8 }),
  tieSize: fc.integer({ min: 1, max: 4 }),
  unsafeIds: fc.boolean(),
  initial: fc.array(slotArb, { maxLength: 12 }),
  ops: fc.array(opArb, { maxLength: 10 }),
});

// ------------------------------------------------------------------ running a case

let db: ModelDatabase;
const clock = new FakeClock(Date.parse('2026-03-02T12:00:00Z'));
let sandbox: StravaSandbox;
/** The sandbox's options object: `ascendingWithAfter` is read per request, so each case chooses it. */
const sandboxOptions: StravaSandboxOptions = { clock };

beforeAll(async () => {
  db = await createModelDatabase('tl_e2e_model_strava');
  sandbox = await startStravaSandbox(sandboxOptions);
});
afterAll(async () => {
  await sandbox?.close();
  await db?.drop();
});

async function runCase(c: Case): Promise<void> {
  sandboxOptions.ascendingWithAfter = c.ascending;
  sandbox.resetFaults();
  const nowMs = () => Math.floor(clock.now().getTime() / 1000) * 1000;
  const slotMs = (s: Slot) => nowMs() - 2 * HOUR_MS - s.day * DAY_MS - s.hour * HOUR_MS;
  const provider = (fetch: FetchFunction) =>
    strava({ ...sandbox.providerOptions({ fetch }), pageSize: c.pageSize });

  // the history before the athlete connects: generated days apart, plus activities on shared hours
  const { providerUserId: athleteId } = await sandbox.seedAthlete({
    activityCount: c.generated,
    athleteId: 30_000_000 + ++nextAthlete,
    tieSize: c.tieSize,
    unsafeIds: c.unsafeIds,
  });
  for (const slot of c.initial) await sandbox.addActivity(athleteId, { startDate: new Date(slotMs(slot)) });

  const run = new ModelRun({ db, clock, sandbox, providerId: 'strava', provider });
  const userId = await createUser(db.database.pool, 'model-strava');
  const connect = () => connectAccount(run.server.trainlytics, sandbox, 'strava', userId, athleteId);
  const connection = await connect();

  async function announce(event: StravaSandboxWebhookEvent, delivery: Delivery) {
    await run.outbox.send(await sandbox.webhookRequest(event), delivery);
  }
  function pick(n: number): string | null {
    const ids = sandbox.activityIds(athleteId);
    return ids.length === 0 ? null : ids[n % ids.length]!;
  }
  /** Applies a change at Strava and has Strava announce it. */
  async function change(what: Change, delivery: Delivery): Promise<void> {
    const providerUserId = athleteId;
    if (what.change === 'upload') {
      const start = what.late ? slotMs(what.late) : nowMs() - 60_000;
      const id = await sandbox.addActivity(athleteId, { startDate: new Date(start) });
      return announce({ type: 'activity.created', providerUserId, providerActivityId: id }, delivery);
    }
    const id = pick(what.pick);
    if (!id) return;
    if (what.change === 'delete') {
      await sandbox.deleteActivity(athleteId, id);
      return announce({ type: 'activity.deleted', providerUserId, providerActivityId: id }, delivery);
    }
    const sport = SPORTS[what.edit % SPORTS.length]!;
    await sandbox.updateActivity(athleteId, id, {
      name: `Edited ${what.edit}`,
      sport_type: sport,
      type: sport,
      distance: 1000 + what.edit,
    });
    const updates = { title: `Edited ${what.edit}` };
    return announce({ type: 'activity.updated', providerUserId, providerActivityId: id, updates }, delivery);
  }

  for (const op of c.ops) {
    switch (op.op) {
      case 'sync': {
        const during = op.during;
        await run.sync(
          connection.id,
          op,
          during
            ? async (n) => (n === during.atRequest ? change(during.change, 'later') : undefined)
            : undefined,
        );
        break;
      }
      case 'change':
        await change(op.change, op.delivery);
        break;
      case 'expireToken':
        await sandbox.expireAccessTokens(athleteId);
        break;
      case 'advance':
        clock.advance(op.ms);
        break;
      default:
        await run.common(op);
    }
  }

  // the final phase: Strava keeps delivering an event until it gets a 2xx, then one incremental sync
  await run.settle(connection.id, connect);
  await run.outbox.deliverAll();
  await run.finalSync(connection.id);
  expectSameActivities(
    await storedActivities(db.storePool, connection.id),
    providerActivities(sandbox, athleteId),
  );
  await run.assertHistory(connection.id);
}

const TIED: Slot[] = [
  { day: 1, hour: 0 },
  { day: 1, hour: 0 },
];

/**
 * Shrunk counterexamples, replayed first on every run.
 * 1. Two activities starting in the same second, split by a page boundary (pages of 2, newest first):
 *    the walk narrowed `before` to the shared second and never asked for the other one (issue 18, A1;
 *    fixed on branch h-strava).
 * 2. The same oldest first (`after` given alone, pages of 1): the walk moved `after` past the tie.
 * 3. The access token expired; the database restarted while Strava answered the refresh (first seen with
 *    a terminated session, made deterministic with `outage`): Strava had rotated the refresh token, the
 *    store could not write it, and core dropped it, so the next sync presented the dead one and the user
 *    had to reconnect (fixed in core's connection session: the write is retried).
 */
const REGRESSIONS: Case[] = [
  // From CI (seed 1921053242): two activities in the newest second at one per page, the first deleted
  // before page 2 was served. The walk paged that second by number: page 2 of its window was empty (the
  // other one had moved up to page 1), the pass ended, and the older generated activity was never asked
  // for; the incremental final sync starts above it. Fixed in the walk: a second that fills a page is walked
  // alone, twice, then the rest of the window without it (strava-walk.ts).
  // Replayed first: which activity `pick` names, and where the generated one starts, depend on the
  // athlete's number and the clock, which the cases before would change. Each of the three is deleted once.
  ...[0, 1, 2].map(
    (pick): Case => ({
      pageSize: 1,
      ascending: false,
      generated: 1,
      tieSize: 1,
      unsafeIds: false,
      initial: [
        { day: 0, hour: 0 },
        { day: 0, hour: 0 },
      ],
      ops: [{ op: 'sync', full: false, during: { atRequest: 3, change: { change: 'delete', pick } } }],
    }),
  ),
  { pageSize: 2, ascending: false, generated: 1, tieSize: 1, unsafeIds: false, initial: TIED, ops: [] },
  {
    pageSize: 1,
    ascending: true,
    generated: 0,
    tieSize: 1,
    unsafeIds: false,
    initial: TIED,
    ops: [
      { op: 'sync', full: false },
      { op: 'change', change: { change: 'upload', late: null }, delivery: 'later' },
    ],
  },
  {
    pageSize: 1,
    ascending: false,
    generated: 1,
    tieSize: 1,
    unsafeIds: false,
    initial: [],
    ops: [{ op: 'expireToken' }, { op: 'sync', full: false, restart: { atRequest: 2, outage: 1 } }],
  },
  // From the soak (seed -1369579103): two edits of one activity within the same second gave two `update`
  // events with the same key (the key left out `updates`), so the second was dropped as a redelivery and the
  // stored row kept the first edit. Fixed in the plugin's event key; the replay depends on timing (both
  // edits must fall in one clock second), so the deterministic proof is `strava-webhooks.test.ts` › `keys two
  // edits of one activity within the same second apart`.
  {
    pageSize: 1,
    ascending: false,
    generated: 0,
    tieSize: 1,
    unsafeIds: false,
    initial: [{ day: 0, hour: 0 }],
    ops: [
      {
        op: 'sync',
        full: false,
        fault: { status: { code: 500, times: 1 } },
        kill: { atRequest: 1, when: 'before' },
        during: { atRequest: 1, change: { change: 'upload', late: null } },
      },
      { op: 'change', change: { change: 'edit', pick: 45290799, edit: 0 }, delivery: 'now' },
      {
        op: 'sync',
        full: false,
        fault: { invalidJson: 1 },
        kill: { atRequest: 3, when: 'before' },
        restart: { atRequest: 1 },
        during: { atRequest: 1, change: { change: 'edit', pick: 1516144013, edit: 1 } },
      },
      { op: 'change', change: { change: 'delete', pick: 0 }, delivery: 'now' },
    ],
  },
];

const RUNS = 25;

describe('strava: model-based property (history × syncs, webhooks, faults, kills, restarts, tokens)', () => {
  it(
    'after the final phase the stored activities are exactly Strava’s, every run closed with honest counts',
    async () => {
      await assertModelProperty(caseArb, runCase, REGRESSIONS, RUNS);
    },
    propertyTimeout(RUNS, 4000),
  );
});
