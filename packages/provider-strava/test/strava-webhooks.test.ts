import { ValidationError, type WebhookRequest, WebhookVerificationError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import { strava } from '../src/strava-provider';
import { fixtureText } from './fixtures';

const provider = strava({
  clientId: '1',
  clientSecret: 's',
  webhooks: { verifyToken: 'STRAVA', subscriptionId: 120475 },
  env: {},
});
const webhooks = provider.webhooks;
const ctx = undefined as never; // the Strava webhook functions need no context

function request(method: string, url: string, body = ''): WebhookRequest {
  const bytes = new TextEncoder().encode(body);
  return {
    method,
    url: new URL(url),
    headers: new Headers({ 'content-type': 'application/json' }),
    body: bytes,
    text: () => body,
    json: () => JSON.parse(body),
  };
}

describe('Strava webhook handshake', () => {
  it('echoes hub.challenge as JSON when the verify token matches', async () => {
    const response = await webhooks.handshake?.(
      request(
        'GET',
        'https://app.example.com/wh?hub.verify_token=STRAVA&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe',
      ),
      ctx,
    );
    expect(response?.status).toBe(200);
    expect(response?.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(response?.body ?? '')).toEqual({ 'hub.challenge': '15f7d1a91c1f40f8a748fd134752feb3' });
  });

  it('refuses a wrong verify token and ignores requests that are not handshakes', async () => {
    const wrong = await webhooks.handshake?.(
      request('GET', 'https://app.example.com/wh?hub.verify_token=nope&hub.challenge=x&hub.mode=subscribe'),
      ctx,
    );
    expect(wrong?.status).toBe(403);
    expect(wrong?.body).not.toContain('"hub.challenge"');
    expect(await webhooks.handshake?.(request('GET', 'https://app.example.com/wh'), ctx)).toBeNull();
    expect(await webhooks.handshake?.(request('POST', 'https://app.example.com/wh', '{}'), ctx)).toBeNull();
  });

  it('reads the verify token lazily and names the variable when it is missing', () => {
    const unconfigured = strava({ clientId: '1', clientSecret: 's', env: {} });
    expect(() =>
      unconfigured.webhooks.handshake?.(
        request('GET', 'https://app.example.com/wh?hub.verify_token=a&hub.challenge=b&hub.mode=subscribe'),
        ctx,
      ),
    ).toThrow(/verify token is missing/);
  });
});

describe('Strava verifyHeaders (before the body is read)', () => {
  it('lets GET (handshake) and POST (events) through and refuses other methods with 405', () => {
    const head = (method: string) => ({
      method,
      url: new URL('https://app.example.com/wh'),
      headers: new Headers(),
    });
    const verifyHeaders = webhooks.verifyHeaders!;
    expect(() => verifyHeaders(head('GET'), ctx)).not.toThrow();
    expect(() => verifyHeaders(head('POST'), ctx)).not.toThrow();
    const error = (() => {
      try {
        verifyHeaders(head('PUT'), ctx);
      } catch (e) {
        return e;
      }
    })();
    expect(WebhookVerificationError.isInstance(error) && error.status).toBe(405);
  });
});

describe('Strava webhook events', () => {
  const post = (name: string) => request('POST', 'https://app.example.com/wh', fixtureText(name));

  it('authenticates events by subscription id', async () => {
    await expect(
      Promise.resolve(webhooks.verify(post('webhook-activity-create.json'), ctx)),
    ).resolves.toBeUndefined();
    const other = fixtureText('webhook-activity-create.json').replace('120475', '999');
    const error = (() => {
      try {
        webhooks.verify(request('POST', 'https://app.example.com/wh', other), ctx);
      } catch (e) {
        return e;
      }
    })();
    expect(WebhookVerificationError.isInstance(error)).toBe(true);
    expect((error as WebhookVerificationError).status).toBe(403);
    expect((error as Error).message).toMatch(/not for push subscription 120475 \(got 999\)/);
  });

  it('turns an activity create into a targeted fetch', async () => {
    expect(await webhooks.parse(post('webhook-activity-create.json'), ctx)).toEqual([
      {
        type: 'activity.changed',
        providerUserId: '134815',
        eventKey: '120475:134815:activity:1360128428:create:1516126040',
        ref: '1360128428',
      },
    ]);
  });

  it('keeps an object id beyond 2^53 exact', async () => {
    const [event] = await webhooks.parse(post('webhook-activity-update.json'), ctx);
    expect(event).toMatchObject({ type: 'activity.changed', ref: '9007199254740993' });
  });

  it('keys two edits of one activity within the same second apart, and a redelivery alike', async () => {
    const body = (updates: Record<string, string>) =>
      JSON.stringify({
        aspect_type: 'update',
        event_time: 1516126040,
        object_id: 1360128428,
        object_type: 'activity',
        owner_id: 134815,
        subscription_id: 120475,
        updates,
      });
    const keyOf = async (text: string) => {
      const [event] = await webhooks.parse(request('POST', 'https://app.example.com/wh', text), ctx);
      return event?.eventKey;
    };
    const first = await keyOf(body({ title: 'Morning Run' }));
    const second = await keyOf(body({ title: 'Morning Run (race)' }));
    // the second edit must not be taken for a redelivery of the first (the row would keep the first title)
    expect(second).not.toBe(first);
    // a redelivery repeats the event: the same key, whatever the order of the keys in `updates`
    expect(await keyOf(body({ type: 'Run', title: 'A' }))).toBe(
      await keyOf(body({ title: 'A', type: 'Run' })),
    );
  });

  it('turns a delete into a deletion and authorized:"false" into a deauthorization', async () => {
    expect(await webhooks.parse(post('webhook-activity-delete.json'), ctx)).toEqual([
      {
        type: 'activity.deleted',
        providerUserId: '134815',
        eventKey: '120475:134815:activity:1360128428:delete:1516126040',
        providerActivityId: '1360128428',
      },
    ]);
    expect(await webhooks.parse(post('webhook-athlete-deauthorize.json'), ctx)).toEqual([
      {
        type: 'connection.deauthorized',
        providerUserId: '134815',
        eventKey: '120475:134815:athlete:134815:update:1516126040:[["authorized","false"]]',
      },
    ]);
  });

  it('ignores other athlete updates and rejects malformed bodies', async () => {
    const other = fixtureText('webhook-athlete-deauthorize.json').replace(
      '"authorized": "false"',
      '"title": "x"',
    );
    expect(await webhooks.parse(request('POST', 'https://app.example.com/wh', other), ctx)).toEqual([]);
    const bad = request(
      'POST',
      'https://app.example.com/wh',
      '{"object_type":"gear","subscription_id":120475}',
    );
    expect(() => webhooks.parse(bad, ctx)).toThrow(ValidationError);
    expect(() => webhooks.parse(request('POST', 'https://app.example.com/wh', '{'), ctx)).toThrow(
      /not valid JSON/,
    );
  });
});
