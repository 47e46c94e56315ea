import { createHmac } from 'node:crypto';
import type { Provider } from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './harness';

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

const signed = (body: string, secret = 'test-webhook-secret') =>
  new Request('http://127.0.0.1/webhooks/testfit', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-testfit-signature': createHmac('sha256', secret).update(body).digest('hex'),
    },
    body,
  });

describe('webhooks', () => {
  it('answers 404 for a provider without webhooks or not registered', async () => {
    const t = h.trainlytics();
    const response = await t.webhooks.handle('garmin', signed('{}'));
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('garmin');
  });

  it('answers the handshake', async () => {
    const t = h.trainlytics();
    const response = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      new Request('http://127.0.0.1/webhooks/testfit?challenge=abc123'),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: 'abc123' });
  });

  it('refuses a body over the limit with 413 before parsing, with or without content-length', async () => {
    const t = h.trainlytics({ webhookProcessing: 'inline' });
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, signed(big))).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new Uint8Array(1024).fill(32));
        controller.close();
      },
    });
    const chunked = new Request('http://127.0.0.1/webhooks/testfit', {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, chunked)).status).toBe(413);
  });

  it('refuses a bad signature with its status and does nothing else', async () => {
    const t = h.trainlytics({ webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    const body = JSON.stringify({ event_id: 'e1', type: 'deauthorized', user_id: providerUserId });
    const response = await t.webhooks.handle(TEST_PROVIDER_ID, signed(body, 'wrong-secret'));
    expect(response.status).toBe(401);
    expect((await t.connections.get(connection.id))?.status).toBe('active');
    expect(await h.query('select * from trainlytics_webhook_events')).toEqual([]);
  });

  it('answers 400 for a malformed body', async () => {
    const t = h.trainlytics({ webhookProcessing: 'inline' });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, signed('{"event_id":'))).status).toBe(400);
    const response = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      signed(JSON.stringify({ event_id: 'e', type: 'nope' })),
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('type');
  });

  it('answers 500 (so that the provider retries) when a plugin fails unexpectedly, and logs it', async () => {
    const base = h.server.createProvider();
    const broken: Provider = {
      ...base,
      webhooks: {
        ...base.webhooks!,
        parse: () => {
          throw new TypeError('Cannot read properties of undefined');
        },
      },
    };
    const t = h.trainlytics({ providers: [broken] });
    const response = await t.webhooks.handle(TEST_PROVIDER_ID, signed(JSON.stringify({ event_id: 'e' })));
    expect(response.status).toBe(500);
    expect(
      h.logger.entries.some((e) => e.level === 'error' && String(e.fields?.error).includes('TypeError')),
    ).toBe(true);
  });

  it('activity created → fetched and stored in a webhook sync row; a redelivery is harmless', async () => {
    const t = h.trainlytics();
    const { connection, providerUserId } = await h.connect(t, 0);
    const [id] = await h.server.addActivities(providerUserId, 1);
    const request = await h.server.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: id as string,
    });
    const copy = request!.clone();
    const response = await t.webhooks.handle(TEST_PROVIDER_ID, request!);
    expect(response.status).toBe(200); // answered before the work is done (background mode)
    await t.webhooks.idle();
    const rows = await t.activities.list({ connectionId: connection.id });
    expect(rows.map((r) => r.providerActivityId)).toEqual([id]);
    const history = await t.history.list({ connectionId: connection.id });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      syncType: 'webhook',
      status: 'success',
      activitiesCreated: 1,
      requestsMade: 1,
    });

    h.server.resetCounters();
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, copy)).status).toBe(200);
    await t.webhooks.idle();
    expect(h.server.requestCount({ pathPrefix: '/api' })).toBe(0);
    expect(await t.history.list({ connectionId: connection.id })).toHaveLength(1);
  });

  it('activity deleted → removed; deauthorized → deactivated (inline mode)', async () => {
    const t = h.trainlytics({ webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 3);
    await t.sync(connection.id);
    const [first] = await t.activities.list({ connectionId: connection.id });
    const deleted = await h.server.webhookRequest({
      type: 'activity.deleted',
      providerUserId,
      providerActivityId: first!.providerActivityId,
    });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deleted!)).status).toBe(200);
    expect(await h.stored(connection.id)).toBe(2);
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history).toMatchObject({ syncType: 'webhook', activitiesDeleted: 1 });

    const deauthorized = await h.server.webhookRequest({ type: 'deauthorized', providerUserId });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, deauthorized!)).status).toBe(200);
    const after = await t.connections.get(connection.id);
    expect(after?.status).toBe('inactive');
    expect(after?.lastError).toBe('The user revoked access to Testfit');
  });

  it('an event for an unknown account is acknowledged and ignored', async () => {
    const t = h.trainlytics({ webhookProcessing: 'inline' });
    const { providerUserId } = await h.server.seedAccount({ activityCount: 1 });
    const request = await h.server.webhookRequest({ type: 'deauthorized', providerUserId });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, request!)).status).toBe(200);
    expect(h.logger.entries.some((e) => /not connected/.test(e.message))).toBe(true);
  });

  it('a failure while processing is logged and recorded in sync_history, the delivery still acknowledged', async () => {
    const t = h.trainlytics();
    const { connection, providerUserId } = await h.connect(t, 0);
    const request = await h.server.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: 'tf-missing',
    });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, request!)).status).toBe(200);
    await t.webhooks.idle();
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history).toMatchObject({ syncType: 'webhook', status: 'failed', errorName: 'ProviderApiError' });
    expect(history?.errorMessage).toContain('Record Not Found');
    expect(
      h.logger.entries.some((e) => e.level === 'warn' && /webhook processing failed/.test(e.message)),
    ).toBe(true);
  });

  it('a delivery that failed is not remembered: inline mode answers 503 and the redelivery is stored', async () => {
    const t = h.trainlytics({ webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    const [id] = await h.server.addActivities(providerUserId, 1);
    const request = await h.server.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: id as string,
    });
    const redelivery = request!.clone();
    h.server.setFaults({ status: { code: 500, times: 10, pathPrefix: '/api' } });
    const failed = await t.webhooks.handle(TEST_PROVIDER_ID, request!);
    expect(failed.status).toBe(503);
    expect(await h.query('select * from trainlytics_webhook_events')).toEqual([]);
    expect(await h.stored(connection.id)).toBe(0);

    h.server.resetFaults();
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, redelivery)).status).toBe(200);
    const rows = await t.activities.list({ connectionId: connection.id });
    expect(rows.map((r) => r.providerActivityId)).toEqual([id]);
    const history = await t.history.list({ connectionId: connection.id });
    expect(history.map((r) => r.status)).toEqual(['success', 'failed']);
  });

  it('with a job queue, an activity that must be fetched enqueues a sync instead of fetching here', async () => {
    const enqueued: number[] = [];
    const t = h.trainlytics({
      webhookProcessing: 'inline',
      enqueueSync: async (connectionId) => {
        enqueued.push(connectionId);
      },
    });
    const { connection, providerUserId } = await h.connect(t, 0);
    const [id] = await h.server.addActivities(providerUserId, 1);
    h.server.resetCounters();
    const request = await h.server.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: id as string,
    });
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, request!)).status).toBe(200);
    expect(enqueued).toEqual([connection.id]);
    expect(h.server.requestCount({ pathPrefix: '/api' })).toBe(0);
    expect(await h.stored(connection.id)).toBe(0);
  });
});
