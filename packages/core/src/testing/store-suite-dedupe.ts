import { ConflictError, NotFoundError } from '../errors/errors';
import { createActivity, type NormalizedActivity } from '../model/activity';
import type { ConnectionRecord, ConnectionUpsert, Store } from '../store/store';
import type { StoreSuiteDatabase } from './store-suite';
import { beforeEach, expect, it } from './vitest-api';

/** What the one-timeline tests need from the conformance suite. */
export interface DedupeSuiteContext {
  store(): Store;
  db(): StoreSuiteDatabase;
  createUser(): Promise<number>;
  connect(overrides: Partial<ConnectionUpsert>): Promise<ConnectionRecord>;
  commit(connection: ConnectionRecord, activities: NormalizedActivity[]): Promise<unknown>;
}

const START = new Date('2026-04-01T06:30:00.000Z');
const at = (minutes: number) => new Date(START.getTime() + minutes * 60_000);

function workout(
  id: string,
  minutes: number,
  overrides: Partial<NormalizedActivity> = {},
): NormalizedActivity {
  return createActivity({
    providerActivityId: id,
    name: `Run ${id}`,
    sportType: 'run',
    startDate: at(minutes),
    elapsedTimeS: 3600,
    distanceM: 10_000,
    raw: { id },
    ...overrides,
  });
}

/**
 * Migrations 014 and 017 through the store (docs/decisions/0024-cross-provider-dedupe.md): a page write groups the same
 * workout from two providers, the canonical row keeps the richer values and names both providers, a person's
 * link / unlink survives `dedupe`, and the typed errors.
 */
export function runDedupeTests(ctx: DedupeSuiteContext): void {
  // a page write matches by default since migration 017 (ADR 0024, second addendum)
  beforeEach(async () => {
    const { rows } = await ctx.db().query('select incremental from trainlytics_dedupe_policy');
    expect(rows).toEqual([{ incremental: true }]);
  });

  const { store } = ctx;

  async function athlete() {
    const userId = await ctx.createUser();
    const garmin = await ctx.connect({ userId, provider: 'garmin', providerUserId: `g-${userId}` });
    const strava = await ctx.connect({ userId, provider: 'strava', providerUserId: `s-${userId}` });
    return { userId, garmin, strava };
  }

  it('a page write groups a Garmin workout and its Strava upload: one row, both providers, richer values kept', async () => {
    const s = store();
    expect(s.listCanonicalActivities).toBeTypeOf('function');
    const { userId, garmin, strava } = await athlete();
    await ctx.commit(garmin, [
      workout('g-1', 0, { calories: 640, deviceName: 'Forerunner 965', raw: { activityId: 21_000_000_001 } }),
      workout('g-2', 24 * 60, { sportType: 'ride', distanceM: 30_000 }),
    ]);
    await ctx.commit(strava, [
      workout('s-1', 0, {
        name: 'Easy morning',
        startDateLocal: '2026-04-01T08:30:00',
        utcOffsetS: 7200,
        raw: { external_id: 'garmin_push_21000000001' },
      }),
      // a run in the same minutes as the Garmin ride: another workout
      workout('s-2', 24 * 60 + 1, { distanceM: 9000 }),
    ]);
    const rows = await s.listCanonicalActivities!({ userId });
    expect(rows.map((r) => [r.providerActivityId, r.providers, r.calories, r.deviceName])).toEqual([
      ['s-2', ['strava'], null, null],
      ['g-2', ['garmin'], null, null],
      ['g-1', ['garmin', 'strava'], 640, 'Forerunner 965'],
    ]);
    expect(rows[2]!.activityIds).toHaveLength(2);
    expect(rows[2]!.name).toBe('Run g-1');
    // the wall-clock start only the Strava copy has (the dashboard's hover text)
    expect([rows[2]!.startDateLocal, rows[2]!.utcOffsetS]).toEqual(['2026-04-01T08:30:00', 7200]);
    // the stored copies stay
    expect(await s.countActivities({ userId })).toBe(4);
    expect(await s.listCanonicalActivities!({ userId, limit: 1, before: at(24 * 60) })).toHaveLength(1);
  });

  it('a person’s unlink and link are applied at once and survive dedupe; impossible links are typed errors', async () => {
    const s = store();
    const { userId, garmin, strava } = await athlete();
    await ctx.commit(garmin, [
      workout('g-1', 0),
      workout('g-2', 120, { sportType: 'walk', distanceM: 3000 }),
    ]);
    await ctx.commit(strava, [
      workout('s-1', 0),
      workout('s-2', 190, { sportType: 'hike', distanceM: 3000 }),
    ]);
    const [g1, g2] = (await s.listActivities({ connectionId: garmin.id })).sort((a, b) => a.id - b.id);
    const [s1, s2] = (await s.listActivities({ connectionId: strava.id })).sort((a, b) => a.id - b.id);
    expect(await s.listCanonicalActivities!({ userId })).toHaveLength(3);

    expect(await s.decideMatch!(g1!.id, s1!.id, 'unlink')).toEqual({ groupId: null, activityIds: [g1!.id] });
    expect(await s.decideMatch!(s2!.id, g2!.id, 'link')).toEqual({
      groupId: g2!.id,
      activityIds: [g2!.id, s2!.id],
    });
    const after = async () =>
      (await s.listCanonicalActivities!({ userId })).map((r) => r.activityIds).sort((a, b) => a[0]! - b[0]!);
    const decided = await after();
    expect(decided).toEqual([[g1!.id], [g2!.id, s2!.id], [s1!.id]]);
    expect(await s.dedupe!({ userId })).toMatchObject({ users: 1, lastUserId: userId, groups: 1 });
    await ctx.commit(strava, [workout('s-1', 0, { name: 'edited on Strava' })]);
    expect(await after()).toEqual(decided);

    const refused = await s.decideMatch!(g1!.id, g2!.id, 'link').catch((e: unknown) => e);
    expect(ConflictError.isInstance(refused)).toBe(true);
    expect((refused as ConflictError).reason).toBe('match-refused');
    expect((refused as Error).message).toMatch(/same connection/);
    const other = await athlete();
    await ctx.commit(other.strava, [workout('x-1', 0)]);
    const [x1] = await s.listActivities({ userId: other.userId });
    await expect(s.decideMatch!(g1!.id, x1!.id, 'link')).rejects.toThrow(/two users/);
    const missing = await s.decideMatch!(g1!.id, 2_000_000_000, 'unlink').catch((e: unknown) => e);
    expect(NotFoundError.isInstance(missing)).toBe(true);
  });

  it('dedupe goes through every user in batches and finds what a write with matching off left', async () => {
    const s = store();
    const users = [await athlete(), await athlete(), await athlete()];
    for (const u of users) {
      // as a database migrated before 014 holds them: no trigger ran
      await ctx.db().query('alter table activities disable trigger activities_dedupe_insert');
      try {
        await ctx.commit(u.garmin, [workout(`g-${u.userId}`, 0)]);
        await ctx.commit(u.strava, [workout(`s-${u.userId}`, 1)]);
      } finally {
        await ctx.db().query('alter table activities enable trigger activities_dedupe_insert');
      }
      expect(await s.listCanonicalActivities!({ userId: u.userId })).toHaveLength(2);
    }
    const seen: number[] = [];
    let afterUserId: number | undefined;
    let grouped = 0;
    for (;;) {
      const batch = await s.dedupe!({ limit: 2, ...(afterUserId ? { afterUserId } : {}) });
      if (batch.users === 0) break;
      expect(batch.users).toBeLessThanOrEqual(2);
      grouped += batch.grouped;
      afterUserId = batch.lastUserId!;
      seen.push(afterUserId);
    }
    expect(seen.at(-1)).toBe(users[2]!.userId);
    expect(grouped).toBeGreaterThanOrEqual(6);
    for (const u of users) {
      expect((await s.listCanonicalActivities!({ userId: u.userId })).map((r) => r.providers)).toEqual([
        ['garmin', 'strava'],
      ]);
    }
  });
}
