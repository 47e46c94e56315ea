import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  decideRetry,
  INITIAL_RETRY_STATE,
  type RetryPolicy,
  type RetryState,
} from '../../../src/provider-utils/http/retry-decision';
import { backoffDelay } from '../../../src/provider-utils/retry';

const NOW = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(NOW.getTime() + ms);

const retryAt = fc.option(
  fc.integer({ min: -60_000, max: 3_600_000 }).map((ms) => at(ms)),
  { nil: null },
);
const outcome: fc.Arbitrary<AttemptOutcome> = fc.oneof(
  fc.constant({ kind: 'network-error' as const }),
  fc.constant({ kind: 'invalid-body' as const }),
  fc.constant({ kind: 'final' as const }),
  fc.boolean().map((canRefresh) => ({ kind: 'unauthorized' as const, canRefresh })),
  retryAt.map((r) => ({ kind: 'rate-limited' as const, retryAt: r })),
  retryAt.map((r) => ({ kind: 'retryable-status' as const, retryAt: r })),
);
const policy: fc.Arbitrary<RetryPolicy> = fc.record({
  maxRetries: fc.integer({ min: 0, max: 6 }),
  maxRateLimitRetries: fc.integer({ min: 0, max: 6 }),
  maxRateLimitWaitMs: fc.integer({ min: 0, max: 1_800_000 }),
  requestClass: fc.constantFrom('background' as const, 'interactive' as const, 'oauth' as const),
  retry: fc.boolean(),
  baseDelayMs: fc.integer({ min: 1, max: 2_000 }),
  maxDelayMs: fc.integer({ min: 1, max: 60_000 }),
});

/** Runs one call's outcomes through the decision as the client does, and returns the actions. */
function run(outcomes: AttemptOutcome[], p: RetryPolicy) {
  let state: RetryState = INITIAL_RETRY_STATE;
  const actions = [];
  for (const o of outcomes) {
    const next = decideRetry(o, state, p, NOW);
    actions.push({ outcome: o, next });
    if (next.action === 'fail') break;
    state = next.state;
  }
  return actions;
}

describe('decideRetry', () => {
  it('property: with retry: false nothing is ever retried (only the one token refresh is allowed)', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 20 }), policy, (outcomes, p) => {
        for (const { next } of run(outcomes, { ...p, retry: false })) expect(next.action).not.toBe('retry');
      }),
    );
  });

  it('property: transient failures are retried at most maxRetries times, 429s at most maxRateLimitRetries times, the token refreshed at most once', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 30 }), policy, (outcomes, p) => {
        const actions = run(outcomes, p);
        const retried = (kinds: string[]) =>
          actions.filter((a) => a.next.action === 'retry' && kinds.includes(a.outcome.kind)).length;
        expect(retried(['network-error', 'invalid-body', 'retryable-status'])).toBeLessThanOrEqual(
          p.maxRetries,
        );
        expect(retried(['rate-limited'])).toBeLessThanOrEqual(p.maxRateLimitRetries);
        expect(actions.filter((a) => a.next.action === 'refresh-token').length).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('property: a 429 is waited for only by background requests, never longer than the budget, until its Retry-After', () => {
    fc.assert(
      fc.property(retryAt, policy, fc.integer({ min: 0, max: 8 }), (r, p, spent) => {
        const state = { ...INITIAL_RETRY_STATE, rateLimitRetries: spent };
        const next = decideRetry({ kind: 'rate-limited', retryAt: r }, state, p, NOW);
        const expectedAt = r ?? at(backoffDelay(spent, p));
        expect(next).toMatchObject({ retryAt: expectedAt });
        if (next.action === 'retry') {
          expect(p.requestClass).toBe('background');
          expect(next.delayMs).toBeLessThanOrEqual(p.maxRateLimitWaitMs);
          expect(next.delayMs).toBe(Math.max(0, expectedAt.getTime() - NOW.getTime()));
          expect(next.state.rateLimitRetries).toBe(spent + 1);
        } else {
          expect(next.action).toBe('fail');
          expect(
            p.requestClass !== 'background' ||
              !p.retry ||
              spent >= p.maxRateLimitRetries ||
              expectedAt.getTime() - NOW.getTime() > p.maxRateLimitWaitMs,
          ).toBe(true);
        }
      }),
    );
  });

  it("property: a retryable status's Retry-After is honoured exactly; without one the delay is the capped backoff", () => {
    fc.assert(
      fc.property(retryAt, policy, fc.integer({ min: 0, max: 8 }), (r, p, spent) => {
        const next = decideRetry(
          { kind: 'retryable-status', retryAt: r },
          { ...INITIAL_RETRY_STATE, attempt: spent },
          p,
          NOW,
        );
        if (!p.retry || spent >= p.maxRetries) {
          expect(next).toEqual({ action: 'fail' });
          return;
        }
        expect(next).toMatchObject({ action: 'retry', state: { attempt: spent + 1 } });
        const delayMs = (next as { delayMs: number }).delayMs;
        if (r) expect(delayMs).toBe(Math.max(0, r.getTime() - NOW.getTime()));
        else {
          expect(delayMs).toBe(backoffDelay(spent, p));
          expect(delayMs).toBeLessThanOrEqual(p.maxDelayMs ?? 30_000);
        }
      }),
    );
  });

  it('property: pure — the same inputs give the same action, and the state passed in is never changed', () => {
    fc.assert(
      fc.property(outcome, policy, fc.nat(8), fc.nat(8), fc.boolean(), (o, p, attempt, rl, refreshed) => {
        const state = Object.freeze({ attempt, rateLimitRetries: rl, refreshed });
        expect(decideRetry(o, state, p, NOW)).toEqual(decideRetry(o, state, p, NOW));
        expect(state).toEqual({ attempt, rateLimitRetries: rl, refreshed });
      }),
    );
  });

  it('fails a final outcome at once, and refreshes a 401 only when a refresh is possible', () => {
    const p: RetryPolicy = {
      maxRetries: 3,
      maxRateLimitRetries: 5,
      maxRateLimitWaitMs: 900_000,
      requestClass: 'background',
      retry: true,
    };
    expect(decideRetry({ kind: 'final' }, INITIAL_RETRY_STATE, p, NOW)).toEqual({ action: 'fail' });
    expect(decideRetry({ kind: 'unauthorized', canRefresh: false }, INITIAL_RETRY_STATE, p, NOW)).toEqual({
      action: 'fail',
    });
    expect(decideRetry({ kind: 'unauthorized', canRefresh: true }, INITIAL_RETRY_STATE, p, NOW)).toEqual({
      action: 'refresh-token',
      state: { attempt: 0, rateLimitRetries: 0, refreshed: true },
    });
    // network errors back off 500, 1000, 2000 ms, then give up
    const delays = run(
      Array.from({ length: 5 }, () => ({ kind: 'network-error' as const })),
      p,
    ).map((a) => (a.next.action === 'retry' ? a.next.delayMs : a.next.action));
    expect(delays).toEqual([500, 1000, 2000, 'fail']);
  });
});
