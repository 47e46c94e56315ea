import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRejection, isAcceptedStatus } from '../../../src/provider-utils/http/classify-response';

const NOW = new Date('2026-01-01T00:00:00Z');
const status = fc.integer({ min: 100, max: 599 });

describe('classify response', () => {
  it('property: accepted exactly when 2xx or listed in acceptStatuses', () => {
    fc.assert(
      fc.property(status, fc.array(status, { maxLength: 3 }), (s, accept) => {
        expect(isAcceptedStatus(s, accept)).toBe((s >= 200 && s < 300) || accept.includes(s));
      }),
    );
  });

  it('property: the verdict of describeError outranks the status; a 429 is never a plain retryable status', () => {
    fc.assert(
      fc.property(
        status,
        fc.constantFrom('none' as const, 'user' as const),
        fc.constantFrom(undefined, 'app-suspended' as const, 'connection-limit' as const),
        (s, auth, condition) => {
          const kind = classifyRejection({
            status: s,
            headers: new Headers(),
            auth,
            described: condition ? { condition } : undefined,
            now: NOW,
          }).kind;
          if (condition) expect(kind).toBe(condition);
          else if (s === 401 && auth === 'user') expect(kind).toBe('unauthorized');
          else if (s === 429) expect(kind).toBe('rate-limited');
          else if (s === 408 || s === 409 || s === 425 || s >= 500) expect(kind).toBe('retryable-status');
          else expect(kind).toBe('rejected');
        },
      ),
    );
  });

  it('property: Retry-After (seconds) is read as now + that many seconds for a 429 and a 5xx', () => {
    fc.assert(
      fc.property(fc.constantFrom(429, 500, 503), fc.nat(86_400), (s, seconds) => {
        const rejection = classifyRejection({
          status: s,
          headers: new Headers({ 'retry-after': String(seconds) }),
          auth: 'none',
          now: NOW,
        });
        expect(rejection).toMatchObject({ retryAt: new Date(NOW.getTime() + seconds * 1000) });
      }),
    );
  });

  it("a 429 without Retry-After takes the provider's rate-limit reset; a 5xx does not", () => {
    const reset = new Date('2026-01-01T00:15:00Z');
    const rateLimit = { parse: () => [], retryAt: () => reset };
    expect(
      classifyRejection({ status: 429, headers: new Headers(), auth: 'none', rateLimit, now: NOW }),
    ).toEqual({ kind: 'rate-limited', retryAt: reset });
    expect(
      classifyRejection({ status: 503, headers: new Headers(), auth: 'none', rateLimit, now: NOW }),
    ).toEqual({ kind: 'retryable-status', retryAt: null });
    expect(classifyRejection({ status: 401, headers: new Headers(), auth: 'none', now: NOW })).toEqual({
      kind: 'rejected',
    });
  });
});
