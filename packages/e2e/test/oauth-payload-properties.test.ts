import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, type FetchFunction, type Trainlytics, TrainlyticsError } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { type ConformanceSandbox, createTestPGlite } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, REDIRECT_URI } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// Property-based: the token endpoint's answer to the code exchange, and the profile the plugin reads
// right after, mutated by fast-check on the way back. `connect.finish` either makes a working
// connection or fails with a typed Trainlytics error that stores nothing — and no error ever carries
// a token from the provider's answer (it would end up in logs and pages).
//
// (An empty `access_token` and an expiry far out of range used to slip through core's token parsing;
// both are typed `ValidationError`s now — SECURITY.md, "Fixed after the suites found them".)

type Json = unknown;

const weird = fc.oneof(
  fc.constant(null),
  fc.constantFrom('', 'NaN', '-1', 'Bearer', '9999999999999999999999'),
  fc.constantFrom(0, -1, 1e308, -3600, 2 ** 53 + 7),
  fc.string(),
  fc.boolean(),
  fc.jsonValue({ maxDepth: 2 }),
);
const mutation = fc.record({
  op: fc.constantFrom('drop' as const, 'set' as const, 'replace' as const),
  key: fc.nat(),
  value: weird,
});

function mutate(body: Json, m: { op: 'drop' | 'set' | 'replace'; key: number; value: Json }): Json {
  if (m.op === 'replace' || !body || typeof body !== 'object' || Array.isArray(body)) return m.value;
  const copy = structuredClone(body) as Record<string, Json>;
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = keys[m.key % keys.length] as string;
  if (m.op === 'drop') delete copy[key];
  else copy[key] = m.value;
  return copy;
}

/** Every string of 16+ characters in a token answer: the tokens it carries. */
function secretsOf(body: Json): string[] {
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, Json>)
    .filter(([k, v]) => /token/i.test(k) && typeof v === 'string' && v.length >= 16)
    .map(([, v]) => v as string);
}

let db: PGlite;

beforeAll(async () => {
  db = await createTestPGlite({ migrate: true });
});
afterAll(async () => {
  await db?.close();
});

for (const sandboxCase of SANDBOX_CASES) {
  describe(`${sandboxCase.id}: mutated token and profile answers at connect`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;
    let target: 'token' | 'profile' = 'token';
    let current: { op: 'drop' | 'set' | 'replace'; key: number; value: Json } | null = null;
    let secrets: string[] = [];
    let mutated = 0;
    let totalMutated = 0;

    const intercepting: FetchFunction = async (input, init) => {
      const response = await fetch(input, init);
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const isToken = (init?.method ?? 'GET').toUpperCase() === 'POST' && /token/i.test(url.pathname);
      // the first answer after the token exchange: Garmin's user id, Polar's user registration
      const isProfile = !isToken && mutated === 0;
      const ok = response.status === 200 || response.status === 201;
      if (!current || !ok || (target === 'token' ? !isToken : !isProfile)) return response;
      const text = await response.text();
      let body: Json;
      try {
        body = JSON.parse(text);
      } catch {
        return new Response(text, { status: response.status, headers: response.headers });
      }
      secrets.push(...secretsOf(body));
      mutated++;
      totalMutated++;
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      return new Response(JSON.stringify(mutate(body, current)), { status: response.status, headers });
    };

    beforeAll(async () => {
      sandbox = await sandboxCase.start();
      trainlytics = createTrainlytics({
        store: postgresStore(db),
        providers: [sandbox.createProvider({ fetch: intercepting })],
        http: { baseDelayMs: 1, maxDelayMs: 2, maxRetries: 0, timeoutMs: 2_000 },
      });
    });
    afterAll(async () => {
      await sandbox?.close();
    });

    // Strava returns the athlete with the token answer: only Garmin and Polar read a profile separately
    const targets = sandboxCase.id === 'strava' ? (['token'] as const) : (['token', 'profile'] as const);
    for (const which of targets) {
      it(`the ${which} answer mutated: a working connection, or a typed error without a token and nothing stored`, async () => {
        let failures = 0;
        let successes = 0;
        const before = totalMutated;
        await fc.assert(
          fc.asyncProperty(mutation, async (m) => {
            const userId = await createUser(db, `${sandboxCase.id}-oauth-props`);
            const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
            const { url } = await trainlytics.connect.start(sandboxCase.id, {
              userId,
              redirectUri: REDIRECT_URI,
            });
            const callback = await sandbox.approve(url, { providerUserId });
            target = which;
            current = m;
            secrets = [];
            mutated = 0;
            const outcome = await trainlytics.connect
              .finish(sandboxCase.id, { callbackParams: callback.searchParams, userId })
              .then(
                (connection) => ({ connection, error: null }),
                (error: unknown) => ({ connection: null, error }),
              )
              .finally(() => {
                current = null;
              });
            const { rows } = await db.query<{ access_token: string; is_active: boolean }>(
              'select access_token, is_active from provider_connections where user_id = $1',
              [userId],
            );
            if (outcome.error) {
              failures++;
              expect(TrainlyticsError.isInstance(outcome.error), String(outcome.error)).toBe(true);
              const error = outcome.error as TrainlyticsError;
              const text = `${error.message} ${JSON.stringify(error)} ${error.userMessage ?? ''}`;
              for (const secret of secrets)
                expect(text.includes(secret), `error shows a token: ${text}`).toBe(false);
              expect(rows).toEqual([]);
            } else {
              successes++;
              expect(outcome.connection?.status).toBe('active');
              expect(rows).toHaveLength(1);
              expect(typeof rows[0]?.access_token).toBe('string');
              expect(rows[0]?.access_token.length).toBeGreaterThan(0);
              // (a mutated token may be as short as "-1": only a token-like value can be searched for)
              const stored = rows[0]?.access_token ?? '';
              if (stored.length >= 8) expect(JSON.stringify(outcome.connection)).not.toContain(stored);
            }
          }),
          { numRuns: 60 },
        );
        // the answers really were mutated (each run once), and every run was accounted for
        expect(totalMutated - before).toBe(60);
        expect(failures + successes).toBe(60);
        if (which === 'token') expect(failures).toBeGreaterThan(0);
      });
    }
  });
}
