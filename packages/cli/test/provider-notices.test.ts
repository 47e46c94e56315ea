import type { Connection, SyncRecord } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noticesFrom } from '../src/provider-notices';

const PROVIDERS = ['strava', 'polar'] as const;

const connection = (id: number, provider: string, status: Connection['status']): Connection =>
  ({ id, userId: id, provider, providerUserId: String(id), status }) as Connection;

const sync = (id: number, connectionId: number, startedAt: number, kind: 'ok' | 'rate' | 'app'): SyncRecord =>
  ({
    id,
    connectionId,
    startedAt: new Date(startedAt),
    status: kind === 'ok' ? 'success' : 'deferred',
    errorName: kind === 'ok' ? null : kind === 'rate' ? 'RateLimitError' : 'AppSuspendedError',
    errorMessage: kind === 'app' ? 'deferred: the app is Inactive (reactivate it)' : null,
  }) as SyncRecord;

describe('provider notices', () => {
  it('a provider is paused exactly when its latest run was deferred by AppSuspendedError, and said once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...PROVIDERS), { minLength: 1, maxLength: 6 }),
        fc.array(
          fc.record({
            connection: fc.nat(),
            at: fc.nat({ max: 1000 }),
            kind: fc.constantFrom('ok', 'rate', 'app'),
          }),
          { maxLength: 30 },
        ),
        (providers, runs) => {
          const connections = providers.map((p, i) => connection(i + 1, p, 'active'));
          // distinct start times so "latest" is well defined
          const syncs = runs.map((r, i) =>
            sync(
              i + 1,
              (r.connection % connections.length) + 1,
              r.at * 100 + i,
              r.kind as 'ok' | 'rate' | 'app',
            ),
          );
          const notices = noticesFrom(connections, [...syncs].reverse());
          for (const provider of PROVIDERS) {
            const own = syncs.filter((s) => connections[s.connectionId - 1]!.provider === provider);
            const latest = own.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0];
            const paused = notices.filter((n) => n.provider === provider && n.kind === 'app-suspended');
            expect(paused).toHaveLength(latest?.errorName === 'AppSuspendedError' ? 1 : 0);
            for (const n of paused) expect(n.message).toMatch(/syncs are paused: the app is Inactive/);
          }
        },
      ),
    );
  });

  it('warns one account before the cap and at it, counting connections that are not disconnected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.nat({ max: 14 }),
        fc.nat({ max: 3 }),
        (cap, active, gone) => {
          const connections = [
            ...Array.from({ length: active }, (_, i) =>
              connection(i + 1, 'strava', i % 2 ? 'active' : 'reauth_required'),
            ),
            ...Array.from({ length: gone }, (_, i) => connection(100 + i, 'strava', 'inactive')),
          ];
          const notices = noticesFrom(connections, [], { strava: { name: 'Strava', maxConnections: cap } });
          const expected =
            active >= cap ? /nobody else can connect/ : active === cap - 1 ? /one more reaches/ : null;
          if (expected) expect(notices.map((n) => n.message)).toEqual([expect.stringMatching(expected)]);
          else expect(notices).toEqual([]);
        },
      ),
    );
  });
});
