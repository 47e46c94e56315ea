import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { waitForRateLimitWindow } from '../../../src/provider-utils/http/rate-limit-wait';
import type { RateLimitTracker } from '../../../src/provider-utils/rate-limit-tracker';
import { silentLogger } from '../../../src/runtime/logger';
import { FakeClock } from '../../../src/testing/fake-clock';

/** A tracker that answers "wait until now + ms" for each scripted wait, then lets the request through. */
function scriptedTracker(waitsMs: number[]): RateLimitTracker & { reserves: number } {
  const script = [...waitsMs];
  const tracker = {
    reserves: 0,
    async reserve(_id: string, now: Date) {
      tracker.reserves++;
      const ms = script.shift();
      return ms === undefined ? null : new Date(now.getTime() + ms);
    },
    async observe() {},
    async block() {},
    snapshot: () => ({ snapshots: [], blockedUntil: null }),
  };
  return tracker;
}

const settings = (clock: FakeClock, tracker: RateLimitTracker, extra: object = {}) => ({
  provider: 'testfit',
  requestClass: 'background' as const,
  tracker,
  clock,
  logger: silentLogger,
  maxWaitMs: 60_000,
  ...extra,
});
const tooLong = (until: Date) => new Error(`too long: ${until.toISOString()}`);

describe('waitForRateLimitWindow', () => {
  it('property: a background request sleeps through each window within the budget and fails on the first beyond it, never sleeping longer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 120_000 }), { maxLength: 5 }),
        fc.integer({ min: 0, max: 90_000 }),
        async (waits, budget) => {
          const clock = new FakeClock();
          const tracker = scriptedTracker(waits);
          const outcome = await waitForRateLimitWindow(
            settings(clock, tracker, { maxWaitMs: budget }),
            tooLong,
          ).then(
            () => 'sent',
            () => 'failed',
          );
          const firstTooLong = waits.findIndex((w) => w > budget);
          expect(outcome).toBe(firstTooLong === -1 ? 'sent' : 'failed');
          expect(clock.sleeps).toEqual(firstTooLong === -1 ? waits : waits.slice(0, firstTooLong));
          for (const slept of clock.sleeps) expect(slept).toBeLessThanOrEqual(budget);
        },
      ),
    );
  });

  it('an interactive request reserves but never waits; an oauth request does not even reserve', async () => {
    const clock = new FakeClock();
    const interactive = scriptedTracker([600_000]);
    await waitForRateLimitWindow(settings(clock, interactive, { requestClass: 'interactive' }), tooLong);
    expect(interactive.reserves).toBe(1);
    const oauth = scriptedTracker([600_000]);
    await waitForRateLimitWindow(settings(clock, oauth, { requestClass: 'oauth' }), tooLong);
    expect(oauth.reserves).toBe(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('throws the error built for the reset time when the window is beyond the budget', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    await expect(waitForRateLimitWindow(settings(clock, scriptedTracker([60_001])), tooLong)).rejects.toThrow(
      'too long: 2026-01-01T00:01:00.001Z',
    );
  });
});
