import { createActivity, type NormalizedActivity } from '../model/activity';
import type { JsonValue } from '../model/json';
import type { ConnectionRecord, Store } from '../store/store';
import { mulberry32 } from './seeded-random';
import type { StoreSuiteDatabase } from './store-suite';
import { expect, it } from './vitest-api';

/** What the merge tests need from the conformance suite. */
export interface MergeSuiteContext {
  store(): Store;
  db(): StoreSuiteDatabase;
  connect(): Promise<ConnectionRecord>;
  commit(
    connection: ConnectionRecord,
    activities: NormalizedActivity[],
  ): Promise<{ created: number; updated: number; deleted: number }>;
  /** The store serializes every call (an embedded database): the concurrent test is skipped. */
  skipConcurrency: boolean;
}

const START = new Date('2026-03-01T07:00:00.000Z');

/** The fields a summary may lack and a detail may carry, as the generated writes vary them. */
const MERGED_FIELDS = [
  'name',
  'calories',
  'deviceName',
  'distanceM',
  'averageHeartrate',
  'movingTimeS',
] as const;
type MergedField = (typeof MERGED_FIELDS)[number];

const VALUES: Record<MergedField, readonly (string | number | null)[]> = {
  name: [null, 'Morning run', 'Renamed run'],
  calories: [null, 424.8, 512],
  deviceName: [null, 'Garmin Forerunner 965', 'Zwift'],
  distanceM: [null, 5000.5, 10_000],
  averageHeartrate: [null, 150.5, 141],
  movingTimeS: [null, 1750, 1800],
};

/** A small seeded generator (mulberry32): the same seed gives the same sequences, printed on failure. */
const generator = mulberry32;

/** The activities row as the store's columns hold it (what counts as a change), by provider id. */
async function snapshot(db: StoreSuiteDatabase): Promise<Map<string, string>> {
  const { rows } = await db.query(
    `select provider_activity_id as id, (to_jsonb(a) - 'updated_at' - 'created_at')::text as v from activities a`,
  );
  return new Map(rows.map((r) => [String(r.id), String(r.v)]));
}

interface ModelRow {
  detail: 'summary' | 'detail';
  fields: Record<MergedField, string | number | null>;
  raw: JsonValue;
}

/** The rule of ADR 0015, written independently of the SQL: what the row must hold after a write. */
function mergeModel(stored: ModelRow | undefined, incoming: ModelRow): ModelRow {
  if (!stored || !(incoming.detail === 'summary' && stored.detail === 'detail')) return incoming;
  const fields = { ...stored.fields };
  for (const field of MERGED_FIELDS) fields[field] = incoming.fields[field] ?? stored.fields[field];
  return { detail: 'detail', fields, raw: stored.raw };
}

/**
 * How a page's activities merge with the stored rows (migration 011, docs/decisions/0015): a summary never
 * clears a value a detail gave, a detail (or a summary over a summary) replaces the row, `raw` keeps the
 * richest payload, and only rows whose stored values change count as updated.
 */
export function runActivityMergeTests(ctx: MergeSuiteContext): void {
  const strava = (id: string, detail: 'summary' | 'detail', overrides: Partial<NormalizedActivity> = {}) =>
    createActivity({
      providerActivityId: id,
      name: 'Lunch run',
      sportType: 'run',
      providerSportType: 'Run',
      startDate: START,
      elapsedTimeS: 1800,
      movingTimeS: 1750,
      distanceM: 5000.5,
      averageHeartrate: 150.5,
      detail,
      raw: { id: Number(id), resource_state: detail === 'detail' ? 3 : 2 },
      ...overrides,
    });
  const row = async (id: string) =>
    (
      await ctx
        .db()
        .query(
          'select name, calories, device_name, distance_m, raw, detail from activities where provider_activity_id = $1',
          [id],
        )
    ).rows[0];

  it('keeps what a detail gave when a later summary lacks it, and counts no update', async () => {
    const connection = await ctx.connect();
    // a webhook fetched the DetailedActivity
    const detail = strava('12345678901234567', 'detail', {
      calories: 424.8,
      deviceName: 'Garmin Forerunner 965',
      raw: {
        id: '12345678901234567',
        resource_state: 3,
        calories: 424.8,
        device_name: 'Garmin Forerunner 965',
      },
    });
    expect(await ctx.commit(connection, [detail])).toEqual({ created: 1, updated: 0, deleted: 0 });

    // `sync --full` then writes the listing's SummaryActivity, without calories or device
    const summary = strava('12345678901234567', 'summary', {
      raw: { id: '12345678901234567', resource_state: 2 },
    });
    expect(await ctx.commit(connection, [summary])).toEqual({ created: 0, updated: 0, deleted: 0 });
    expect(await row('12345678901234567')).toEqual({
      name: 'Lunch run',
      calories: 424.8,
      device_name: 'Garmin Forerunner 965',
      distance_m: 5000.5,
      raw: detail.raw,
      detail: 'detail',
    });
    const [listed] = await ctx.store().listActivities({ connectionId: connection.id });
    expect(listed).toMatchObject({ calories: 424.8, deviceName: 'Garmin Forerunner 965', detail: 'detail' });

    // a summary's own value is a later edit: it wins, the detail's other values stay
    const renamed = strava('12345678901234567', 'summary', { name: 'Renamed run', raw: summary.raw });
    expect(await ctx.commit(connection, [renamed])).toEqual({ created: 0, updated: 1, deleted: 0 });
    expect(await row('12345678901234567')).toMatchObject({ name: 'Renamed run', calories: 424.8 });

    // the complete record saying a value is gone removes it
    const removed = strava('12345678901234567', 'detail', {
      name: 'Renamed run',
      deviceName: 'Garmin Forerunner 965',
    });
    expect(await ctx.commit(connection, [removed])).toEqual({ created: 0, updated: 1, deleted: 0 });
    expect(await row('12345678901234567')).toMatchObject({
      calories: null,
      device_name: 'Garmin Forerunner 965',
    });
  });

  it('lets a summary replace a summary and a detail replace a summary, nulls included', async () => {
    const connection = await ctx.connect();
    await ctx.commit(connection, [strava('1', 'summary', { distanceM: 4000 })]);
    expect(await ctx.commit(connection, [strava('1', 'summary', { distanceM: null })])).toEqual({
      created: 0,
      updated: 1,
      deleted: 0,
    });
    expect(await row('1')).toMatchObject({ distance_m: null, detail: 'summary' });

    const detail = strava('1', 'detail', { distanceM: null, calories: 300 });
    expect(await ctx.commit(connection, [detail])).toEqual({ created: 0, updated: 1, deleted: 0 });
    expect(await row('1')).toMatchObject({ calories: 300, raw: detail.raw, detail: 'detail' });
  });

  it.skipIf(ctx.skipConcurrency)(
    'keeps what a detail gave when a summary of the same activity is committed concurrently',
    async () => {
      for (let round = 0; round < 5; round++) {
        const connection = await ctx.connect();
        const id = `${connection.id}99`;
        const detail = strava(id, 'detail', { calories: 424.8, deviceName: 'Garmin Forerunner 965' });
        const results = await Promise.all([
          ctx.commit(connection, [strava(id, 'summary')]),
          ctx.commit(connection, [detail]),
        ]);
        expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(1);
        expect(await row(id)).toMatchObject({ calories: 424.8, raw: detail.raw, detail: 'detail' });
      }
    },
  );

  it("treats an activity without `detail` (a plugin written before it) as the provider's complete record", async () => {
    const connection = await ctx.connect();
    const { detail: _detail, ...plain } = strava('2', 'detail', { calories: 200 });
    await ctx.commit(connection, [plain]);
    expect(await row('2')).toMatchObject({ calories: 200, detail: 'detail' });
    const { detail: _again, ...withoutCalories } = strava('2', 'detail');
    expect(await ctx.commit(connection, [withoutCalories])).toEqual({ created: 0, updated: 1, deleted: 0 });
    expect(await row('2')).toMatchObject({ calories: null });
  });

  it('property: a summary never clears what a detail gave; updated = rows whose stored values changed', async () => {
    const seeds = Array.from({ length: 12 }, (_, i) => 0x5eed + i * 7919);
    for (const seed of seeds) {
      const random = generator(seed);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      const connection = await ctx.connect();
      const ids = ['1', '2', '3'].map((n) => `${connection.id}0${n}`);
      const model = new Map<string, ModelRow>();
      const steps = 3 + Math.floor(random() * 6);
      for (let step = 0; step < steps; step++) {
        const written = ids.filter(() => random() < 0.6);
        const incoming = written.map((id) => {
          const detail = random() < 0.5 ? 'summary' : 'detail';
          const fields = Object.fromEntries(
            MERGED_FIELDS.map((f) => [f, pick(VALUES[f])]),
          ) as ModelRow['fields'];
          const raw: JsonValue = { id, resource_state: detail === 'detail' ? 3 : 2, v: pick([1, 2]) };
          return { id, row: { detail, fields, raw } as ModelRow };
        });
        const before = await snapshot(ctx.db());
        const result = await ctx.commit(
          connection,
          incoming.map(({ id, row: r }) =>
            strava(id, r.detail, { ...(r.fields as Partial<NormalizedActivity>), raw: r.raw }),
          ),
        );
        const after = await snapshot(ctx.db());
        const context = `seed ${seed}, step ${step}`;

        const changed = incoming.filter(
          ({ id }) => before.has(id) && before.get(id) !== after.get(id),
        ).length;
        const created = incoming.filter(({ id }) => !before.has(id)).length;
        expect(result, context).toEqual({ created, updated: changed, deleted: 0 });

        for (const { id, row: r } of incoming) {
          const stored = model.get(id);
          const expected = mergeModel(stored, r);
          model.set(id, expected);
          const { rows } = await ctx.db().query(
            `select name, calories, device_name, distance_m, average_heartrate, moving_time_s, raw, detail
               from activities where provider_activity_id = $1`,
            [id],
          );
          const actual = {
            name: rows[0].name,
            calories: rows[0].calories,
            deviceName: rows[0].device_name,
            distanceM: rows[0].distance_m,
            averageHeartrate: rows[0].average_heartrate,
            movingTimeS: rows[0].moving_time_s,
          } as ModelRow['fields'];
          expect(actual, context).toEqual(expected.fields);
          expect(rows[0].raw, context).toEqual(expected.raw);
          expect(rows[0].detail, context).toBe(expected.detail);
          // the rule itself, on the stored row: a detail's value survives a summary without it
          if (stored?.detail === 'detail' && r.detail === 'summary') {
            for (const field of MERGED_FIELDS) {
              if (stored.fields[field] !== null && r.fields[field] === null) {
                expect(actual[field], `${context}: ${field}`).toBe(stored.fields[field]);
              }
            }
          }
        }
      }
    }
  });
}
