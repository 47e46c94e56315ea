import { createActivity, type Store } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, resetDatabase, type TestDatabase } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusActivity, generateCorpus, random } from './corpus';

// Cross-provider matching (migrations 014 and 017, ADR 0024) on a labelled corpus through the store's page
// writes: precision and recall, and properties over generated histories: never one connection's activities or
// two users' in a group, the same groups whatever the order and page split, the incremental matcher's result
// equal to the batch's after inserts, rewrites and deletes, people's decisions kept.

let database: TestDatabase;
let store: Store;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_dedupe_corpus' });
  // the corpus is matched as it is written (page by page): on by default since migration 017
  const { rows } = await database.pool.query('select incremental from trainlytics_dedupe_policy');
  expect(rows).toEqual([{ incremental: true }]);
  store = postgresStore({ pool: database.pool });
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Loads the corpus into an empty database through commitPage, in `order` (a seed shuffles it) and pages of `pageSize`. */
async function load(corpus: CorpusActivity[], order: number, pageSize: number): Promise<Map<string, number>> {
  await resetDatabase(database.pool);
  const connections = await connectAll(corpus);
  await commitAll(corpus, connections, order, pageSize);
  return connections;
}

async function connectAll(corpus: CorpusActivity[]): Promise<Map<string, number>> {
  const connections = new Map<string, number>();
  for (const a of corpus) {
    const key = `${a.user}:${a.provider}`;
    if (connections.has(key)) continue;
    await database.pool.query(`insert into users (id, email) values ($1, $2) on conflict (id) do nothing`, [
      a.user,
      `u${a.user}@example.com`,
    ]);
    const c = await store.upsertConnection(
      {
        userId: a.user,
        provider: a.provider,
        providerUserId: key,
        accessToken: 'a',
        refreshToken: null,
        tokenExpiresAt: null,
        refreshTokenExpiresAt: null,
        scopes: [],
        providerProfile: {},
      },
      new Date(),
    );
    connections.set(key, c.id);
  }
  return connections;
}

async function commitAll(
  corpus: CorpusActivity[],
  connections: Map<string, number>,
  order: number,
  pageSize: number,
): Promise<void> {
  const rnd = random(order);
  const shuffled = corpus.map((a) => ({ a, k: rnd() })).sort((x, y) => x.k - y.k);
  const byConnection = new Map<number, CorpusActivity[]>();
  for (const { a } of shuffled) {
    const id = connections.get(`${a.user}:${a.provider}`)!;
    byConnection.set(id, [...(byConnection.get(id) ?? []), a]);
  }
  // pages of each connection, the connections interleaved
  const pages: [number, CorpusActivity[]][] = [];
  for (const [id, list] of byConnection) {
    for (let i = 0; i < list.length; i += pageSize) pages.push([id, list.slice(i, i + pageSize)]);
  }
  pages.sort(() => rnd() - 0.5);
  for (const [connectionId, list] of pages) {
    await store.commitPage({
      connectionId,
      syncId: null,
      activities: list.map((a) =>
        createActivity({
          providerActivityId: a.providerActivityId,
          sportType: a.sportType,
          startDate: a.startDate,
          elapsedTimeS: a.elapsedTimeS,
          distanceM: a.distanceM,
          raw: a.raw as never,
        }),
      ),
      deletedIds: [],
      rejected: [],
      requestsMade: 1,
      now: new Date(),
    });
  }
}

/** The groups as sets of `provider:id`, sorted (comparable across loads). */
async function groups(): Promise<string[][]> {
  const { rows } = await database.pool.query<{ members: string[] }>(
    `select array_agg(a.provider || ':' || a.provider_activity_id order by a.provider, a.provider_activity_id) as members
     from activity_group_members g join activities a on a.id = g.activity_id group by g.group_id`,
  );
  return rows.map((r) => [...r.members].sort()).sort((x, y) => x[0]!.localeCompare(y[0]!));
}

async function invariants(): Promise<void> {
  const { rows } = await database.pool.query(
    `select g.group_id, count(distinct a.user_id)::int as users, count(*)::int as members,
            count(distinct a.connection_id)::int as connections
     from activity_group_members g join activities a on a.id = g.activity_id group by g.group_id`,
  );
  for (const r of rows) {
    expect(r.users, `group ${r.group_id} spans users`).toBe(1);
    expect(r.connections, `group ${r.group_id} holds one connection twice`).toBe(r.members);
    expect(r.members).toBeGreaterThanOrEqual(2);
  }
}

/** Every group (canonical copy first, in member order) and every stored match with its score and evidence. */
async function matchState(): Promise<{ groups: string[][]; matches: unknown[] }> {
  const key = (alias: string) => `${alias}.provider || ':' || ${alias}.provider_activity_id`;
  const groups = await database.pool.query<{ members: string[]; canonical: string }>(
    `select array_agg(${key('a')} order by g.member_rank) as members, min(${key('c')}) as canonical
     from activity_group_members g join activities a on a.id = g.activity_id join activities c on c.id = g.group_id
     group by g.group_id`,
  );
  for (const g of groups.rows) expect(g.members[0]).toBe(g.canonical);
  const matches = await database.pool.query(
    `select ${key('a')} as a, ${key('b')} as b, m.score, m.evidence, m.manual
     from activity_matches m join activities a on a.id = m.activity_id join activities b on b.id = m.other_activity_id
     order by 1, 2`,
  );
  return {
    groups: groups.rows.map((g) => g.members).sort((x, y) => x[0]!.localeCompare(y[0]!)),
    matches: matches.rows,
  };
}

function pairsOf(sets: string[][]): Set<string> {
  const out = new Set<string>();
  for (const s of sets)
    for (let i = 0; i < s.length; i++) for (let j = i + 1; j < s.length; j++) out.add(`${s[i]}|${s[j]}`);
  return out;
}

describe('the labelled corpus (seed 15): precision and recall', () => {
  it('precision 100 %, recall ≥ 99 %, every miss named; a batch re-run gives the same groups', async () => {
    const corpus = generateCorpus(15);
    await load(corpus, 1, 50);
    await invariants();
    const predicted = pairsOf(await groups());
    const byWorkout = new Map<string, string[]>();
    for (const a of corpus) {
      const key = `${a.provider}:${a.providerActivityId}`;
      byWorkout.set(a.workout, [...(byWorkout.get(a.workout) ?? []), key].sort());
    }
    const truth = pairsOf([...byWorkout.values()]);
    const scenarioOf = new Map(corpus.map((a) => [`${a.provider}:${a.providerActivityId}`, a.scenario]));
    const tp = [...predicted].filter((p) => truth.has(p)).length;
    const falsePositives = [...predicted].filter((p) => !truth.has(p));
    const misses = [...truth]
      .filter((p) => !predicted.has(p))
      .map((p) => `${scenarioOf.get(p.split('|')[0]!)}: ${p}`);
    const precision = tp / predicted.size;
    const recall = tp / truth.size;
    const perScenario: Record<string, number> = {};
    for (const p of truth) {
      const s = scenarioOf.get(p.split('|')[0]!)!;
      perScenario[s] = (perScenario[s] ?? 0) + 1;
    }
    // the figures BENCHMARKS.md quotes ("One timeline" section)
    console.log(
      JSON.stringify({
        activities: corpus.length,
        truePairs: truth.size,
        predicted: predicted.size,
        precision,
        recall,
        misses,
        perScenario,
      }),
    );
    expect(falsePositives).toEqual([]);
    expect(precision).toBe(1);
    expect(recall).toBeGreaterThanOrEqual(0.99);

    const incremental = await groups();
    for (let afterUserId: number | undefined, n = 0; n < 100; n++) {
      const batch = await store.dedupe!({ limit: 5, ...(afterUserId ? { afterUserId } : {}) });
      if (batch.users === 0) break;
      afterUserId = batch.lastUserId!;
    }
    expect(await groups()).toEqual(incremental);
  });
});

describe('properties over generated histories', () => {
  it('groups never hold one connection twice or two users, and do not depend on order or page split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        async (seed, orderA, orderB, pageA, pageB) => {
          const corpus = generateCorpus(seed, 3, 6);
          await load(corpus, orderA, pageA);
          await invariants();
          const first = await groups();
          await load(corpus, orderB, pageB);
          await invariants();
          expect(await groups()).toEqual(first);
        },
      ),
      { numRuns: 6 },
    );
  }, 600_000);

  it('matching on write gives exactly what the batch gives, after pages of inserts, rewrites and deletes in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (seed, order, pageSize, change) => {
          const corpus = generateCorpus(seed, 3, 6);
          const connections = await load(corpus, order, pageSize);
          // then a sync sees some of them again: moved (a corrected clock, another day), resized, or deleted
          const rnd = random(change);
          const moved: CorpusActivity[] = [];
          const deleted: CorpusActivity[] = [];
          for (const a of corpus) {
            const r = rnd();
            if (r < 0.15) deleted.push(a);
            else if (r < 0.4) {
              const shiftS = [-600, -240, -60, 45, 200, 3_600, 86_400][Math.floor(rnd() * 7)]!;
              moved.push({
                ...a,
                startDate: new Date(a.startDate.getTime() + shiftS * 1000),
                elapsedTimeS: Math.max(60, Math.round(a.elapsedTimeS * (0.7 + rnd() * 0.6))),
                distanceM: rnd() < 0.2 ? null : a.distanceM,
              });
            }
          }
          await commitAll(moved, connections, change, pageSize);
          const byConnection = new Map<number, string[]>();
          for (const a of deleted) {
            const id = connections.get(`${a.user}:${a.provider}`)!;
            byConnection.set(id, [...(byConnection.get(id) ?? []), a.providerActivityId]);
          }
          for (const [connectionId, ids] of byConnection) {
            for (let i = 0; i < ids.length; i += pageSize) {
              await store.commitPage({
                connectionId,
                syncId: null,
                activities: [],
                deletedIds: ids.slice(i, i + pageSize),
                rejected: [],
                requestsMade: 1,
                now: new Date(),
              });
            }
          }
          await invariants();
          const incremental = await matchState();
          await store.dedupe!({});
          expect(await matchState()).toEqual(incremental);
        },
      ),
      { numRuns: 8 },
    );
  }, 600_000);

  it('people’s link and unlink decisions survive re-runs and later writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1000 }),
        async (seed, pick) => {
          const corpus = generateCorpus(seed, 2, 5);
          const connections = await load(corpus, seed, 7);
          const matched = await database.pool.query<{ a: number; b: number }>(
            'select activity_id as a, other_activity_id as b from activity_matches order by 1, 2',
          );
          const alone = await database.pool.query<{ a: number; b: number }>(
            `select x.id as a, y.id as b from activities x join activities y
             on y.user_id = x.user_id and y.connection_id <> x.connection_id and y.id > x.id
           where not exists (select 1 from activity_group_members g where g.activity_id in (x.id, y.id))
           order by 1, 2`,
          );
          const unlink = matched.rows[pick % Math.max(matched.rows.length, 1)];
          const link = alone.rows[pick % Math.max(alone.rows.length, 1)];
          if (unlink) await store.decideMatch!(unlink.a, unlink.b, 'unlink');
          if (link) await store.decideMatch!(link.a, link.b, 'link');
          // a batch re-run, every row updated, and every page written again
          await store.dedupe!({});
          await database.pool.query('update activities set distance_m = coalesce(distance_m, 0) + 1');
          await commitAll(corpus, connections, seed + 1, 5);
          const together = async (a: number, b: number) =>
            (
              await database.pool.query(
                `select count(*)::int as n from activity_group_members x join activity_group_members y
                 on y.group_id = x.group_id where x.activity_id = $1 and y.activity_id = $2`,
                [a, b],
              )
            ).rows[0].n === 1;
          if (unlink) expect(await together(unlink.a, unlink.b)).toBe(false);
          if (link) expect(await together(link.a, link.b)).toBe(true);
          await invariants();
        },
      ),
      { numRuns: 6 },
    );
  }, 600_000);
});
