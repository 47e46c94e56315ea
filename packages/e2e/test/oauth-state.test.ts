import { createTrainlytics, OAuthStateError, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  type ConformanceSandbox,
  createTestDatabase,
  FakeClock,
  type TestDatabase,
} from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUser, REDIRECT_URI } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// OAuth callbacks whose `state` is missing, unknown, expired, already used, or was issued to another
// user are refused with OAuthStateError — before the code is exchanged (no token request reaches the
// provider) and without creating or changing a connection.

const STATE_TTL_MS = 10 * 60_000;

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_oauth' });
});
afterAll(async () => {
  await database?.drop();
});

for (const sandboxCase of SANDBOX_CASES) {
  describe(`${sandboxCase.id}: OAuth callback state`, () => {
    let sandbox: ConformanceSandbox;
    let trainlytics: Trainlytics;
    let clock: FakeClock;
    let userId: number;
    let providerUserId: string;

    beforeAll(async () => {
      sandbox = await sandboxCase.start();
    });
    afterAll(async () => {
      await sandbox?.close();
    });
    beforeEach(async () => {
      clock = new FakeClock(Date.now());
      trainlytics = createTrainlytics({
        store: postgresStore({ pool: database.pool }),
        providers: [sandbox.createProvider()],
        clock,
        stateTtlMs: STATE_TTL_MS,
      });
      userId = await createUser(database.pool, `${sandboxCase.id}-oauth`);
      ({ providerUserId } = await sandbox.seedAccount({ activityCount: 1 }));
    });

    /** A real callback URL from the sandbox's consent page (the user approved). */
    async function approvedCallback(forUser = userId) {
      const { url } = await trainlytics.connect.start(sandboxCase.id, {
        userId: forUser,
        redirectUri: REDIRECT_URI,
      });
      return (await sandbox.approve(url, { providerUserId })).searchParams;
    }

    async function expectRefused(
      finish: () => Promise<unknown>,
      reason: OAuthStateError['reason'] | OAuthStateError['reason'][],
    ) {
      sandbox.resetCounters();
      const error = await finish().then(
        () => null,
        (e: unknown) => e,
      );
      expect(OAuthStateError.isInstance(error)).toBe(true);
      expect([reason].flat()).toContain((error as OAuthStateError).reason);
      expect((error as OAuthStateError).message).not.toMatch(/undefined|\[object/);
      // refused before the code exchange; nothing stored
      expect(sandbox.requestCount({ method: 'POST' })).toBe(0);
      const { rows } = await database.pool.query(
        'select count(*)::int as n from provider_connections where user_id = $1',
        [userId],
      );
      expect(rows[0]?.n).toBe(0);
    }

    it('a callback without state is refused', async () => {
      const params = await approvedCallback();
      params.delete('state');
      await expectRefused(
        () => trainlytics.connect.finish(sandboxCase.id, { callbackParams: params, userId }),
        'missing',
      );
    });

    it('a forged (unknown) state is refused', async () => {
      const params = await approvedCallback();
      params.set('state', 'forged-state-that-was-never-issued-0000000000');
      await expectRefused(
        () => trainlytics.connect.finish(sandboxCase.id, { callbackParams: params, userId }),
        'unknown',
      );
    });

    it('an expired state is refused', async () => {
      const params = await approvedCallback();
      clock.advance(STATE_TTL_MS + 1_000);
      await expectRefused(
        () => trainlytics.connect.finish(sandboxCase.id, { callbackParams: params, userId }),
        'expired',
      );
    });

    it("another user's state is refused (the callback is bound to the user who started it)", async () => {
      const victim = await createUser(database.pool, 'victim');
      // the attacker starts a connection for their own account and hands the callback to the victim
      const params = await approvedCallback(victim);
      await expectRefused(
        () => trainlytics.connect.finish(sandboxCase.id, { callbackParams: params, userId }),
        'mismatch',
      );
      const { rows } = await database.pool.query(
        'select count(*)::int as n from provider_connections where user_id = $1',
        [victim],
      );
      expect(rows[0]?.n).toBe(0);
    });

    it('a reused state is refused, and the connection made with it is unchanged', async () => {
      const params = await approvedCallback();
      const connection = await trainlytics.connect.finish(sandboxCase.id, { callbackParams: params, userId });
      const before = await database.pool.query(
        'select access_token, updated_at from provider_connections where id = $1',
        [connection.id],
      );
      sandbox.resetCounters();
      const error = await trainlytics.connect
        .finish(sandboxCase.id, { callbackParams: params, userId })
        .catch((e: unknown) => e);
      expect(OAuthStateError.isInstance(error)).toBe(true);
      expect((error as OAuthStateError).reason).toBe('reused');
      expect(sandbox.requestCount({ method: 'POST' })).toBe(0);
      const after = await database.pool.query(
        'select access_token, updated_at from provider_connections where id = $1',
        [connection.id],
      );
      expect(after.rows).toEqual(before.rows);
    });
  });
}
