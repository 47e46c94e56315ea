import {
  type ActivityStreams,
  createActivity,
  type DeliveredStreams,
  type Provider,
  ValidationError,
  type WebhookEvent,
} from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness } from './harness';

// `activity.streams` webhook events (push-delivered streams, ADR 0033): stored for the matching activity;
// a delivery whose activity is not stored yet stores the activity it describes first, never over a stored
// one; one that cannot be stored is not acknowledged as done (inline: 503, the provider delivers again).

const h = new EngineHarness({}, 'postgres');
beforeAll(() => h.setup(), 180_000);
afterAll(() => h.teardown());
beforeEach(() => h.reset());

const START = new Date('2026-03-01T07:00:00Z');
const streams: ActivityStreams = {
  time: [0, 1, 2, 10],
  channels: { heartrate: [120, null, 122, 130], distance: [0, 3.1, 6.2, 30.5] },
  laps: [],
  route: null,
  raw: { summaryId: 'x-detail' },
};

const item = (providerActivityId: string, withActivity: boolean): DeliveredStreams => ({
  providerActivityId,
  startDate: START,
  streams,
  ...(withActivity
    ? {
        activity: createActivity({
          providerActivityId,
          name: 'from the detail',
          sportType: 'run',
          startDate: START,
          raw: { from: 'detail' },
          detail: 'summary',
        }),
      }
    : {}),
});

/** The test provider whose webhook body is `{ key, user, items?, ref? }`, parsed into one streams event. */
function streamsProvider(fetched: DeliveredStreams[] = []): { provider: Provider; refs: unknown[] } {
  const base = h.server.createProvider();
  const refs: unknown[] = [];
  const provider: Provider = {
    ...base,
    streams: {
      delivery: 'push',
      requestsPerActivity: 1,
      fetch: async () => ({ status: 'requested' }),
      fetchDelivered: async (_ctx, ref) => {
        refs.push(ref);
        return {
          items: fetched,
          rejected: [
            new ValidationError('testfit activity streams bad is malformed', {
              provider: TEST_PROVIDER_ID,
              entity: 'activity streams',
              itemId: 'bad',
              issues: [{ path: 'samples', message: 'expected an array' }],
            }),
          ],
        };
      },
    },
    webhooks: {
      ...base.webhooks!,
      verify: () => {},
      parse: (request): WebhookEvent[] => {
        const body = request.json() as {
          key: string;
          user: string;
          items?: DeliveredStreams[];
          ref?: string;
        };
        return [
          {
            type: 'activity.streams',
            providerUserId: body.user,
            eventKey: body.key,
            ...(body.items
              ? {
                  delivered: {
                    items: body.items.map((i) => ({
                      ...i,
                      startDate: new Date(i.startDate),
                      ...(i.activity
                        ? { activity: { ...i.activity, startDate: new Date(i.activity.startDate) } }
                        : {}),
                    })),
                    rejected: [],
                  },
                }
              : { ref: body.ref ?? null }),
          },
        ];
      },
    },
  };
  return { provider, refs };
}

const post = (body: unknown) =>
  new Request('http://127.0.0.1/webhooks/testfit', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function storeActivity(connectionId: number, providerActivityId: string) {
  await h.store.commitPage({
    connectionId,
    syncId: null,
    activities: [
      createActivity({
        providerActivityId,
        name: 'the summary',
        sportType: 'run',
        startDate: START,
        raw: { from: 'summary' },
      }),
    ],
    deletedIds: [],
    rejected: [],
    requestsMade: 0,
    now: h.clock.now(),
  } as never);
}

describe('activity.streams webhook events', () => {
  it('stores pushed streams for the stored activity and never overwrites the activity', async () => {
    const { provider } = streamsProvider();
    const t = h.trainlytics({ providers: [provider], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    await storeActivity(connection.id, 'a1');
    const response = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      post({ key: 'k1', user: providerUserId, items: [item('a1', true)] }),
    );
    expect(response.status).toBe(200);
    const [row] = await t.activities.list({ connectionId: connection.id });
    expect(row).toMatchObject({ providerActivityId: 'a1', name: 'the summary', raw: { from: 'summary' } });
    const detail = await t.activities.detail(row!.id);
    expect(detail).toMatchObject({ status: 'stored', requests: 0 });
    expect(detail.streams!.time).toEqual(streams.time);
    expect(detail.streams!.channels).toEqual(streams.channels);
  });

  it('streams delivered before their activity store the activity they describe, then the streams', async () => {
    const { provider } = streamsProvider();
    const t = h.trainlytics({ providers: [provider], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    const response = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      post({ key: 'k2', user: providerUserId, items: [item('early', true)] }),
    );
    expect(response.status).toBe(200);
    const rows = await t.activities.list({ connectionId: connection.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      providerActivityId: 'early',
      name: 'from the detail',
      detail: 'summary',
    });
    expect((await t.activities.detail(rows[0]!.id)).status).toBe('stored');
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history).toMatchObject({ syncType: 'webhook', status: 'success', activitiesCreated: 1 });
  });

  it('streams for an activity that is neither stored nor described are not taken: 503, delivered again later', async () => {
    const { provider } = streamsProvider();
    const t = h.trainlytics({ providers: [provider], webhookProcessing: 'inline' });
    const { connection, providerUserId } = await h.connect(t, 0);
    const body = { key: 'k3', user: providerUserId, items: [item('later', false)] };
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, post(body))).status).toBe(503);
    expect(await h.query('select 1 from activity_streams')).toEqual([]);
    // the activity arrives; the redelivery (same key, forgotten) is processed
    await storeActivity(connection.id, 'later');
    expect((await t.webhooks.handle(TEST_PROVIDER_ID, post(body))).status).toBe(200);
    expect(await h.query('select status from activity_streams')).toEqual([{ status: 'stored' }]);
  });

  it('a ref is fetched with streams.fetchDelivered, even in queue mode; rejections are recorded', async () => {
    const { provider, refs } = streamsProvider([item('pinged', true)]);
    const enqueued: number[] = [];
    const t = h.trainlytics({
      providers: [provider],
      webhookProcessing: 'inline',
      enqueueSync: async (id) => {
        enqueued.push(id);
      },
    });
    const { connection, providerUserId } = await h.connect(t, 0);
    const response = await t.webhooks.handle(
      TEST_PROVIDER_ID,
      post({ key: 'k4', user: providerUserId, ref: 'https://provider.example/callback' }),
    );
    expect(response.status).toBe(200);
    expect(refs).toEqual(['https://provider.example/callback']);
    expect(enqueued).toEqual([]);
    const rows = await t.activities.list({ connectionId: connection.id });
    expect(rows.map((r) => r.providerActivityId)).toEqual(['pinged']);
    expect(await h.query('select status from activity_streams')).toEqual([{ status: 'stored' }]);
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history).toMatchObject({ activitiesCreated: 1, activitiesRejected: 1 });
  });
});
