import { NotFoundError } from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHarness, redirectUri } from './harness';

// The README's `userId: 42` must name a row of `users`: a newcomer used to get a raw foreign-key StoreError
// (HTTP 500) from connect.start. Now it is a NotFoundError naming the user and saying what to do.
describe.each(['pglite', 'postgres'] as const)(
  'connect.start for a user that is not in users (%s)',
  (database) => {
    const h = new EngineHarness({}, database);
    beforeAll(async () => {
      await h.setup();
      await h.reset();
    });
    afterAll(() => h.teardown());

    it('fails before any redirect with a NotFoundError naming the user id and the users table', async () => {
      const t = h.trainlytics();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: h.userId + 1, max: 2_147_483_647 }), async (userId) => {
          const error = await t.connect
            .start(TEST_PROVIDER_ID, { userId, redirectUri })
            .catch((e: unknown) => e);
          expect(NotFoundError.isInstance(error)).toBe(true);
          const e = error as NotFoundError;
          expect(e.message).toContain(
            `user ${userId}: there is no user with id ${userId} in the users table`,
          );
          expect(e.provider).toBe(TEST_PROVIDER_ID);
          expect(e.userMessage).toMatch(/must already exist in your `users` table/);
        }),
        { numRuns: 15 },
      );
      expect(await h.query('select * from trainlytics_oauth_states')).toEqual([]);
      // the existing user still connects
      const started = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
      expect(new URL(started.url).searchParams.get('state')).toBe(started.state);
    });
  },
);
