import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, type FetchFunction, SPORT_TYPES, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { type ConformanceSandbox, createTestPGlite, FakeClock } from '@trainlytics/core/testing';
import { startGarminSandbox } from '@trainlytics/provider-garmin/sandbox';
import { startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, createUser } from './helpers/connect';

// Property-based: the real activity listings of each sandbox, mutated by fast-check on the way to the
// plugin (a field dropped, set to null, to a wrong type, to a huge or non-finite number, to a weird
// string, or the whole item replaced by arbitrary JSON), then a real sync into a migrated database.
// Whatever arrives: the sync never throws; every item is either stored as a valid row or rejected with
// a ValidationError naming the provider, the item id and the field; nothing invalid lands silently.

const NUMERIC_COLUMNS = [
  'distance_m',
  'moving_time_s',
  'elapsed_time_s',
  'total_elevation_gain_m',
  'average_heartrate',
  'max_heartrate',
  'calories',
  'average_speed_mps',
  'max_speed_mps',
  'utc_offset_s',
];

/** A JSON number too large for a double: `JSON.parse` turns it into Infinity. */
const OVERFLOW = '__TL_OVERFLOW__';

type Json = unknown;
type Mutation =
  | { op: 'drop'; key: number }
  | { op: 'set'; key: number; value: Json }
  | { op: 'replace'; value: Json };

const weirdString = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'null',
    'NaN',
    '-1',
    '2026-13-45T99:99:99Z',
    '0000-00-00T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '💥🏃‍♀️',
    '<script>alert(1)</script>',
    "'; drop table activities; --",
    'x'.repeat(5000),
  ),
  fc.string(),
);
const weirdValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  weirdString,
  fc.constantFrom(0, -1, -1e308, 1e308, Number.MAX_SAFE_INTEGER * 1024, 0.1, OVERFLOW),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 2 }),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('drop' as const), key: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.nat(), value: weirdValue }), weight: 5 },
  {
    arbitrary: fc.record({ op: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
    weight: 1,
  },
);
/** Mutations to apply to the items of a listing: [item index, mutation]. */
const mutations = fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 4 });

function applyMutations(items: Json[], list: [number, Mutation][]): Json[] {
  const out = structuredClone(items);
  for (const [index, m] of list) {
    if (out.length === 0) break;
    const i = index % out.length;
    const item = out[i];
    if (m.op === 'replace') {
      out[i] = m.value;
      continue;
    }
    if (!item || typeof item !== 'object' || Array.isArray(item)) continue;
    const keys = Object.keys(item);
    if (keys.length === 0) continue;
    const key = keys[m.key % keys.length] as string;
    if (m.op === 'drop') delete (item as Record<string, Json>)[key];
    else (item as Record<string, Json>)[key] = m.value;
  }
  return out;
}

interface Case {
  id: 'strava' | 'garmin' | 'polar';
  /** The listing requests whose JSON array body is mutated. */
  listing: RegExp;
  idKeys: string[];
  full: boolean;
  start(): Promise<ConformanceSandbox>;
}

const CASES: Case[] = [
  {
    id: 'strava',
    listing: /\/athlete\/activities(\?|$)/,
    idKeys: ['id'],
    full: true,
    start: () => startStravaSandbox({ provider: { pageSize: 4 } }),
  },
  {
    id: 'garmin',
    listing: /\/activities\?/,
    idKeys: ['summaryId', 'activityId'],
    full: false,
    start: () => startGarminSandbox(),
  },
  {
    id: 'polar',
    listing: /\/v3\/exercises(\?|$)/,
    idKeys: ['id'],
    full: true,
    start: () => startPolarSandbox(),
  },
];

const itemId = (item: Json, keys: string[]): string | undefined => {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  for (const key of keys) {
    const v = (item as Record<string, Json>)[key];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return undefined;
};

let db: PGlite;

beforeAll(async () => {
  db = await createTestPGlite({ migrate: true });
});
afterAll(async () => {
  await db?.close();
});

for (const c of CASES) {
  describe(`${c.id}: mutated and random activity payloads`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;
    let connectionId: number;
    /** What the next listing responses are mutated with; the items served, after mutation. */
    let current: [number, Mutation][] = [];
    let served: Json[] = [];
    let wholeBody: Json | undefined;

    const intercepting: FetchFunction = async (input, init) => {
      const response = await fetch(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!c.listing.test(url) || response.status !== 200) return response;
      const body = JSON.parse(await response.text()) as Json;
      let next: Json;
      if (wholeBody !== undefined) next = wholeBody;
      else if (Array.isArray(body)) next = applyMutations(body, current);
      else next = body;
      const text = JSON.stringify(next).replaceAll(`"${OVERFLOW}"`, '1e400');
      // what the plugin really receives (the overflow placeholder is Infinity once parsed)
      const parsed = JSON.parse(text) as Json;
      if (wholeBody === undefined && Array.isArray(parsed)) served.push(...parsed);
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return new Response(text, { status: 200, headers });
    };

    beforeAll(async () => {
      sandbox = await c.start();
      trainlytics = createTrainlytics({
        store: postgresStore(db),
        providers: [sandbox.createProvider({ fetch: intercepting })],
        clock: new FakeClock(Date.now()),
        http: { baseDelayMs: 1, maxDelayMs: 2, maxRetries: 1, timeoutMs: 2_000 },
      });
      const userId = await createUser(db, c.id);
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 8 });
      connectionId = (await connectAccount(trainlytics, sandbox, c.id, userId, providerUserId)).id;
    });
    afterAll(async () => {
      await sandbox?.close();
    });

    async function freshSync() {
      await db.query('delete from activities where connection_id = $1', [connectionId]);
      await db.query('update provider_connections set sync_cursor = null where id = $1', [connectionId]);
      served = [];
      return trainlytics.sync(connectionId, { full: c.full });
    }

    async function assertStoredRowsValid() {
      const { rows } = await db.query<Record<string, unknown>>(
        'select * from activities where connection_id = $1',
        [connectionId],
      );
      for (const row of rows) {
        expect(SPORT_TYPES).toContain(row.sport_type);
        const start = row.start_date as Date;
        expect(start).toBeInstanceOf(Date);
        expect(Number.isFinite(start.getTime())).toBe(true);
        expect(row.raw).not.toBeNull();
        expect(row.provider).toBe(c.id);
        expect(typeof row.provider_activity_id).toBe('string');
        expect(row.provider_activity_id).not.toBe('');
        for (const column of NUMERIC_COLUMNS) {
          const value = row[column];
          if (value !== null) expect(Number.isFinite(Number(value)), `${column} = ${value}`).toBe(true);
          // measures and durations are never negative (core rejects such an item, naming the field)
          if (value !== null && column !== 'utc_offset_s')
            expect(Number(value), column).toBeGreaterThanOrEqual(0);
        }
      }
      return rows;
    }

    it('mutated items: each is stored valid or rejected naming provider, item id and field; the sync never throws', async () => {
      let successes = 0;
      let rejections = 0;
      await fc.assert(
        fc.asyncProperty(mutations, async (list) => {
          current = list;
          const result = await freshSync();
          expect(['success', 'failed']).toContain(result.status);
          const rows = await assertStoredRowsValid();
          if (result.status !== 'success') {
            expect(result.errorMessage).toBeTruthy();
            return;
          }
          expect(served.length).toBeGreaterThan(0);
          successes++;
          rejections += result.activitiesRejected;
          const history = (await trainlytics.history.list({ connectionId, limit: 1 }))[0];
          const errors = (history?.errors ?? []) as {
            name: string;
            message: string;
            itemId: string | null;
            issues: { path: string }[];
          }[];
          expect(errors).toHaveLength(result.activitiesRejected);
          for (const error of errors) {
            expect(error.name).toBe('ValidationError');
            expect(error.message.toLowerCase()).toContain(c.id);
            expect(error.issues.length).toBeGreaterThan(0);
            expect(error.issues[0]?.path).toBeTruthy();
          }
          // every served item is accounted for: stored (with its id) or rejected (naming its id when it had one)
          const ids = served.map((item) => itemId(item, c.idKeys));
          const unique = new Set(ids.filter((id) => id !== undefined));
          if (unique.size === ids.length) {
            expect(rows.length + result.activitiesRejected).toBe(served.length);
            const stored = new Set(rows.map((r) => String(r.provider_activity_id)));
            const rejected = new Set(errors.map((e) => e.itemId));
            for (const id of ids) {
              expect(stored.has(id as string) || rejected.has(id as string), `item ${id}`).toBe(true);
            }
          }
        }),
        { numRuns: 100 },
      );
      // the property was exercised: runs completed, and mutations did get items rejected
      expect(successes).toBeGreaterThan(0);
      expect(rejections).toBeGreaterThan(0);
    }, 120_000);

    it('an arbitrary JSON body in place of the listing never throws out of the sync nor stores an invalid row', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (body) => {
          wholeBody = body;
          try {
            const result = await freshSync();
            // a listing that is never empty (`[[]]` on every page) is paged until the provider's rate limit
            // stops the walk: the sync then ends `deferred`, an honest end that names when it resumes
            expect(['success', 'failed', 'deferred']).toContain(result.status);
            if (result.status === 'failed') expect(result.errorMessage).toBeTruthy();
            if (result.status === 'deferred') expect(result.retryAt).toBeInstanceOf(Date);
            await assertStoredRowsValid();
          } finally {
            wholeBody = undefined;
          }
        }),
        { numRuns: 100 },
      );
      // a never-empty listing makes up to the rate limit's 1,000 requests, each page a transaction
    }, 180_000);
  });
}
