import { createHmac } from 'node:crypto';
import {
  type AccessConfirmation,
  type ConnectionContext,
  confirmAccess,
  type PermissionsConfirmation,
  type Provider,
} from '@trainlytics/core';
import { type SandboxFaults, TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './harness';

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

/** The probe a plugin makes: the connection's token against the provider's profile endpoint, no retry. */
const probe = (ctx: ConnectionContext) =>
  ctx.http.request({ url: `${h.server.baseUrl}/api/me`, auth: 'user', operation: 'confirm', retry: false });

/**
 * Testfit with unauthenticated-looking connection events checked against the provider: deauthorizations
 * through `confirmDeauthorization`, and a `permissions` event (scopes in the body) through
 * `confirmPermissions`, whose answer is the scopes the provider reports (here: `granted`).
 */
function confirmingProvider(
  options: { confirm?: (ctx: ConnectionContext) => Promise<unknown>; granted?: string[] } = {},
): Provider {
  const base = h.server.createProvider();
  return {
    ...base,
    webhooks: {
      ...base.webhooks!,
      async parse(request, ctx) {
        const body = request.json() as {
          type?: string;
          event_id: string;
          user_id: string;
          scopes?: string[];
        };
        if (body.type !== 'permissions') return base.webhooks!.parse(request, ctx);
        return [
          {
            type: 'connection.permissions_changed',
            providerUserId: body.user_id,
            eventKey: body.event_id,
            scopes: body.scopes ?? [],
          },
        ];
      },
      confirmDeauthorization: (options.confirm ?? ((ctx) => confirmAccess(() => probe(ctx)))) as (
        ctx: ConnectionContext,
      ) => Promise<AccessConfirmation>,
      async confirmPermissions(ctx): Promise<PermissionsConfirmation> {
        const answer = await confirmAccess(() => probe(ctx));
        return answer === 'authorized'
          ? { status: 'authorized', scopes: options.granted ?? [] }
          : { status: answer };
      },
    },
  };
}

const signed = (body: Record<string, unknown>) => {
  const text = JSON.stringify(body);
  return new Request('http://127.0.0.1/webhooks/testfit', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-testfit-signature': createHmac('sha256', 'test-webhook-secret').update(text).digest('hex'),
    },
    body: text,
  });
};

let eventCounter = 0;
const deauthorization = (providerUserId: string) =>
  signed({ event_id: `deauth-${++eventCounter}`, type: 'deauthorized', user_id: providerUserId });

const INDETERMINATE: Array<[string, SandboxFaults]> = [
  ['a 503', { status: { code: 503, times: 1, pathPrefix: '/api/me' } }],
  ['a 500', { status: { code: 500, times: 1, pathPrefix: '/api/me' } }],
  ['a 429', { rateLimited: { times: 1, retryAfterSeconds: 1 } }],
  ['a timeout', { hangs: 1 }],
  ['a dropped connection', { connectionResets: 1 }],
];

describe('a deauthorization event is confirmed with the provider before it disconnects anyone', () => {
  it.each(INDETERMINATE)(
    '%s on the confirming call keeps the connection, records it, asks for a redelivery',
    async (_, faults) => {
      const t = h.trainlytics({
        providers: [confirmingProvider()],
        webhookProcessing: 'inline',
        // a hanging request counts as a timeout after this long; generous, so a loaded machine does not time out the others
        http: { timeoutMs: 5_000 },
      });
      const { connection, providerUserId } = await h.connect(t, 0);
      h.server.setFaults(faults);
      const response = await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(providerUserId));
      expect(response.status).toBe(503); // the provider delivers it again: a second chance to confirm
      const after = await t.connections.get(connection.id);
      expect(after?.status).toBe('active');
      expect(after?.lastError).toMatch(/could not confirm.*next sync checks the token again/);
      expect(
        h.logger.entries.some((e) => e.level === 'warn' && /could not be confirmed/.test(e.message)),
      ).toBe(true);
      // not remembered: the redelivery is checked again, and the token still works
      expect(await h.query('select * from trainlytics_webhook_events')).toEqual([]);
      h.server.resetFaults();
    },
  );

  it('the next sync is the re-check: a working token clears the doubt, a revoked one asks the user to reconnect', async () => {
    const t = h.trainlytics({ providers: [confirmingProvider()], webhookProcessing: 'inline' });
    const kept = await h.connect(t, 1);
    const revoked = await h.connect(t, 1, await h.createUser('revoked@example.com'));
    h.server.setFaults({ status: { code: 503, times: 2, pathPrefix: '/api/me' } });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(kept.providerUserId))).status).toBe(
      503,
    );
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(revoked.providerUserId))).status).toBe(
      503,
    );

    const ok = await t.sync(kept.connection.id);
    expect(ok.status).toBe('success');
    expect(await t.connections.get(kept.connection.id)).toMatchObject({ status: 'active', lastError: null });

    // the athlete had really revoked access: the token and the refresh grant are refused
    await h.server.expireAccessTokens(revoked.providerUserId);
    h.server.setFaults({ rejectRefresh: true });
    const refused = await t.sync(revoked.connection.id);
    expect(refused.status).toBe('failed');
    const after = await t.connections.get(revoked.connection.id);
    expect(after?.status).toBe('reauth_required');
    expect(after?.lastError).toMatch(/refused the refresh token/);
  });

  it('a token that still works: the event is ignored and nothing is recorded', async () => {
    const t = h.trainlytics({ providers: [confirmingProvider()], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(providerUserId))).status).toBe(200);
    expect(await t.connections.get(connection.id)).toMatchObject({ status: 'active', lastError: null });
  });

  it('a refused token and refused refresh is definitive: the connection is deactivated', async () => {
    const t = h.trainlytics({ providers: [confirmingProvider()], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    await h.server.expireAccessTokens(providerUserId);
    h.server.setFaults({ rejectRefresh: true });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(providerUserId))).status).toBe(200);
    const after = await t.connections.get(connection.id);
    expect(after?.status).toBe('inactive');
    expect(after?.lastError).toBe('The user revoked access to Testfit');
  });

  it('a 401 whose refresh succeeds is no revocation', async () => {
    const t = h.trainlytics({ providers: [confirmingProvider()], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    await h.server.expireAccessTokens(providerUserId);
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(providerUserId))).status).toBe(200);
    expect((await t.connections.get(connection.id))?.status).toBe('active');
    expect(h.server.refreshRequests()).toBe(1);
  });

  it.each([
    ['a legacy `true` (old plugins also said true when the provider was down)', async () => true, 'active'],
    ['a legacy `false`', async () => false, 'active'],
    ['a throwing check', async () => Promise.reject(new Error('boom')), 'active'],
    ['an undocumented answer', async () => 'maybe', 'active'],
    ['`revoked`', async () => 'revoked', 'inactive'],
  ])('reads %s', async (_, confirm, status) => {
    const t = h.trainlytics({ providers: [confirmingProvider({ confirm })], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    await t.webhooks.handle(TEST_PROVIDER_ID, deauthorization(providerUserId));
    expect((await t.connections.get(connection.id))?.status).toBe(status);
  });
});

describe('a permissions change is read from the provider, not from the event', () => {
  const permissions = (providerUserId: string, scopes: string[]) =>
    signed({ event_id: `perm-${++eventCounter}`, type: 'permissions', user_id: providerUserId, scopes });

  it('stores the scopes the provider reports', async () => {
    const t = h.trainlytics({
      providers: [confirmingProvider({ granted: ['activity:read', 'profile:read'] })],
      webhookProcessing: 'inline',
    });
    const { connection, providerUserId } = await h.connect(t, 0);
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, permissions(providerUserId, []))).status).toBe(200);
    expect((await t.connections.get(connection.id))?.scopes).toEqual(['activity:read', 'profile:read']);
  });

  it('keeps the stored scopes when the provider cannot answer, and records it', async () => {
    const t = h.trainlytics({ providers: [confirmingProvider()], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    const before = (await t.connections.get(connection.id))?.scopes;
    h.server.setFaults({ status: { code: 503, times: 1, pathPrefix: '/api/me' } });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, permissions(providerUserId, []))).status).toBe(503);
    const after = await t.connections.get(connection.id);
    expect(after?.scopes).toEqual(before);
    expect(after?.status).toBe('active');
    expect(after?.lastError).toMatch(/permissions change .* could not confirm/);
  });

  it('keeps the scopes of a connection whose token is refused: the token session asks for a reconnect', async () => {
    const t = h.trainlytics({ providers: [confirmingProvider()], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    const before = (await t.connections.get(connection.id))?.scopes;
    await h.server.expireAccessTokens(providerUserId);
    h.server.setFaults({ rejectRefresh: true });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, permissions(providerUserId, []))).status).toBe(200);
    const after = await t.connections.get(connection.id);
    expect(after).toMatchObject({ status: 'reauth_required', scopes: before });
  });
});
