import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, SPORT_TYPES, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { type ConformanceSandbox, createTestPGlite } from '@trainlytics/core/testing';
import { signPolarWebhook } from '@trainlytics/provider-polar';
import { startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, createUser } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// Property-based: real, authenticated webhook deliveries of each sandbox with their JSON body mutated
// anywhere in the tree (a field dropped, nulled, retyped, a huge number, a weird string) and still
// authenticated (Polar's re-signed). The webhook parser must answer 2xx or 4xx — never a 5xx, which
// means "our bug, deliver again" — and nothing invalid may land in the database.

const POLAR_SECRET = 'e2e-polar-webhook-secret';
const VALID_SPORTS = `(${SPORT_TYPES.map((s) => `'${s}'`).join(',')})`;

type Json = unknown;
type Path = (string | number)[];

/** Every path to a value inside the JSON tree (the root excluded). */
function paths(value: Json, prefix: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...paths(v, [...prefix, i])]);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
  }
  return [];
}

function mutate(body: Json, pick: number, op: 'drop' | 'set', replacement: Json): Json {
  const copy = structuredClone(body);
  const all = paths(copy);
  if (all.length === 0) return copy;
  const path = all[pick % all.length] as Path;
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (op === 'drop') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

const replacement = fc.oneof(
  fc.constant(null),
  fc.constantFrom('', 'NaN', '-1', '2026-13-45T99:99:99Z', '💥', 'x'.repeat(3000), '1e400'),
  fc.constantFrom(0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER * 4096),
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const mutations = fc.array(
  fc.tuple(fc.nat(), fc.constantFrom('drop' as const, 'set' as const), replacement),
  {
    minLength: 1,
    maxLength: 3,
  },
);

let db: PGlite;

beforeAll(async () => {
  db = await createTestPGlite({ migrate: true });
});
afterAll(async () => {
  await db?.close();
});

for (const sandboxCase of SANDBOX_CASES) {
  describe(`${sandboxCase.id}: mutated webhook bodies`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;
    let request: { url: string; method: string; headers: [string, string][]; body: Json };

    beforeAll(async () => {
      sandbox =
        sandboxCase.id === 'polar'
          ? await startPolarSandbox({ webhookSecret: POLAR_SECRET })
          : await sandboxCase.start();
      trainlytics = createTrainlytics({
        store: postgresStore(db),
        providers: [sandbox.createProvider()],
        webhookProcessing: 'inline',
        http: { baseDelayMs: 1, maxDelayMs: 2, maxRetries: 1, timeoutMs: 2_000 },
      });
      const userId = await createUser(db, `${sandboxCase.id}-webhook-props`);
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 2 });
      await connectAccount(trainlytics, sandbox, sandboxCase.id, userId, providerUserId);
      const [activityId] = await sandbox.addActivities(providerUserId, 2);
      const delivery = await sandbox.webhookRequest({
        type: 'activity.created',
        providerUserId,
        providerActivityId: activityId as string,
      });
      if (!delivery) throw new Error('every sandbox sends activity.created deliveries');
      request = {
        url: delivery.url,
        method: delivery.method,
        headers: [...delivery.headers.entries()].filter(([k]) => k !== 'content-length'),
        body: JSON.parse(await delivery.text()),
      };
    });
    afterAll(async () => {
      await sandbox?.close();
    });

    it('never a 5xx, never a thrown error, never an invalid row', async () => {
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(mutations, async (list) => {
          let body = request.body;
          for (const [pick, op, value] of list) body = mutate(body, pick, op, value);
          const text = JSON.stringify(body).replaceAll('"1e400"', '1e400');
          const headers = request.headers.map(([k, v]): [string, string] =>
            k === 'polar-webhook-signature' ? [k, signPolarWebhook(text, POLAR_SECRET)] : [k, v],
          );
          const response = await trainlytics.webhooks.handle(
            sandboxCase.id,
            new Request(request.url, { method: request.method, headers, body: text }),
          );
          statuses.add(response.status);
          expect(
            response.status,
            `${response.status} ${await response.clone().text()} for ${text}`,
          ).toBeLessThan(500);
          const invalid = await db.query<{ n: number }>(
            `select count(*)::int as n from activities
             where provider = $1 and (sport_type not in ${VALID_SPORTS} or start_date is null or raw is null
               or distance_m in ('NaN', 'Infinity', '-Infinity') or calories in ('NaN', 'Infinity', '-Infinity'))`,
            [sandboxCase.id],
          );
          expect(invalid.rows[0]?.n).toBe(0);
        }),
        { numRuns: 150 },
      );
      // the mutations reached the parser: some deliveries were accepted, some refused as malformed
      expect([...statuses].some((s) => s >= 200 && s < 300)).toBe(true);
      expect([...statuses].some((s) => s >= 400)).toBe(true);
    });
  });
}
