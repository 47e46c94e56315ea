import { FakeClock, silentLogger, ValidationError, WebhookVerificationError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import deregistrations from '../src/__fixtures__/deregistrations.json';
import pingActivities from '../src/__fixtures__/ping-activities.json';
import pushActivities from '../src/__fixtures__/push-activities.json';
import pushDetails from '../src/__fixtures__/push-activity-details.json';
import pushMultisport from '../src/__fixtures__/push-multisport.json';
import permissionsChange from '../src/__fixtures__/user-permissions-change.json';
import { garmin } from '../src/garmin-provider';
import { garminRateLimit } from '../src/garmin-rate-limit';
import { toWebhookRequest } from './harness';

const CLIENT_ID = 'my-garmin-client';
const USER = '4aacafe82427c251df9c9592d0c06768';
const provider = garmin({ clientId: CLIENT_ID, clientSecret: 's', env: {} });
const ctx = {
  clock: new FakeClock(),
  logger: silentLogger,
  http: {
    request: () => {
      throw new Error('parsing a notification must not make requests');
    },
  },
};

const notification = (body: unknown, headers: Record<string, string> = { 'garmin-client-id': CLIENT_ID }) =>
  toWebhookRequest(
    new Request('https://app.example.com/webhooks/garmin/8c1f', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );

describe('verifyHeaders (before the body is read)', () => {
  it('refuses a missing or different client id on the headers alone', () => {
    const head = (headers: Record<string, string>) => ({
      method: 'POST',
      url: new URL('https://app.example.com/webhooks/garmin/8c1f'),
      headers: new Headers(headers),
    });
    const verifyHeaders = provider.webhooks.verifyHeaders!;
    expect(() => verifyHeaders(head({ 'garmin-client-id': CLIENT_ID }), ctx)).not.toThrow();
    for (const [headers, status] of [
      [{}, 401],
      [{ 'garmin-client-id': 'another-app' }, 403],
    ] as const) {
      const error = (() => {
        try {
          verifyHeaders(head(headers), ctx);
        } catch (e) {
          return e;
        }
      })();
      expect(WebhookVerificationError.isInstance(error) && error.status).toBe(status);
    }
  });
});

describe('verify', () => {
  it('accepts the configured client id and refuses a missing or different one', async () => {
    const genuine = await notification({});
    const missing = await notification({}, {});
    const wrong = await notification({}, { 'garmin-client-id': 'another-app' });
    expect(() => provider.webhooks.verify(genuine, ctx)).not.toThrow();
    const refusal = (request: typeof genuine) => {
      try {
        provider.webhooks.verify(request, ctx);
      } catch (error) {
        return error;
      }
      return null;
    };
    const noHeader = refusal(missing);
    expect(WebhookVerificationError.isInstance(noHeader)).toBe(true);
    expect((noHeader as WebhookVerificationError).status).toBe(401);
    const otherApp = refusal(wrong);
    expect(WebhookVerificationError.isInstance(otherApp)).toBe(true);
    expect((otherApp as WebhookVerificationError).status).toBe(403);
    expect((otherApp as Error).message).toContain('GARMIN_CLIENT_ID');
  });

  it('can be told not to check the header', async () => {
    const lenient = garmin({
      clientId: CLIENT_ID,
      clientSecret: 's',
      env: {},
      webhooks: { verifyClientId: false },
    });
    const anonymous = await notification({}, {});
    expect(() => lenient.webhooks.verify(anonymous, ctx)).not.toThrow();
  });

  it('accepts bodies of at least 10 MB', () => {
    expect(provider.webhooks.maxBodyBytes).toBeGreaterThanOrEqual(10 * 1024 * 1024);
  });
});

describe('parse', () => {
  it('push: one activity.changed per user with the mapped batch, keyed for de-duplication', async () => {
    const events = await provider.webhooks.parse(await notification(pushActivities), ctx);
    expect(events).toHaveLength(1);
    const [event] = events;
    if (event?.type !== 'activity.changed') throw new Error('expected activity.changed');
    expect(event.providerUserId).toBe(USER);
    expect(event.batch?.activities.map((a) => a.providerActivityId)).toEqual(['5001968355', '5001968400']);
    expect(event.eventKey).toMatch(/^push:activities:4aacafe8/);
    const again = await provider.webhooks.parse(await notification(pushActivities), ctx);
    expect(again[0]!.eventKey).toBe(event.eventKey);
  });

  it('push: groups a notification carrying several users', async () => {
    const other = { ...pushActivities.activities[0]!, userId: 'b'.repeat(32), summaryId: '9' };
    const events = await provider.webhooks.parse(
      await notification({ activities: [...pushMultisport.activities, other] }),
      ctx,
    );
    expect(events.map((e) => e.providerUserId)).toEqual([USER, 'b'.repeat(32)]);
    const [mine] = events;
    if (mine?.type !== 'activity.changed') throw new Error('expected activity.changed');
    expect(mine.batch?.activities).toHaveLength(3);
  });

  it('ping: activity.changed with the callbackURL as ref, no batch', async () => {
    const events = await provider.webhooks.parse(await notification(pingActivities), ctx);
    expect(events).toEqual([
      {
        type: 'activity.changed',
        providerUserId: USER,
        eventKey: expect.stringMatching(/^ping:activities:/),
        ref: { callbackURL: pingActivities.activities[0]!.callbackURL },
      },
    ]);
  });

  it('deregistrations and permission changes', async () => {
    const [dereg] = await provider.webhooks.parse(await notification(deregistrations), ctx);
    expect(dereg).toMatchObject({ type: 'connection.deauthorized', providerUserId: USER });
    // the same body later (the user reconnected, then left again) is a new event, not a redelivery
    ctx.clock.advance(60_000);
    const [later] = await provider.webhooks.parse(await notification(deregistrations), ctx);
    expect(later!.eventKey).not.toBe(dereg!.eventKey);
    const [perm] = await provider.webhooks.parse(await notification(permissionsChange), ctx);
    expect(perm).toMatchObject({
      type: 'connection.permissions_changed',
      providerUserId: USER,
      scopes: ['HEALTH_EXPORT', 'WORKOUT_IMPORT'],
    });
  });

  it('manually updated activities are handled like activities; other summary types are ignored', async () => {
    const events = await provider.webhooks.parse(
      await notification({
        manuallyUpdatedActivities: pushActivities.activities.slice(0, 1),
        dailies: [{ userId: USER, summaryId: 'd1', steps: 1000 }],
      }),
      ctx,
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.eventKey).toMatch(/^push:manuallyUpdatedActivities:/);
  });

  it('refuses a body that is not JSON or not a notification', async () => {
    await expect(provider.webhooks.parse(await notification('not json'), ctx)).rejects.toSatisfy(
      (e: unknown) => ValidationError.isInstance(e),
    );
    await expect(provider.webhooks.parse(await notification({ activities: 'nope' }), ctx)).rejects.toSatisfy(
      (e: unknown) => ValidationError.isInstance(e) && e.entity === 'webhook',
    );
  });
});

describe('rate-limit headers', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('reads limit, remaining and reset', () => {
    const headers = new Headers({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '40',
      'X-RateLimit-Reset': '30',
    });
    expect(garminRateLimit.parse(headers, now)).toEqual([
      {
        bucket: 'app',
        windows: [{ name: 'app', limit: 100, used: 60, resetsAt: new Date('2026-01-01T00:00:30Z') }],
      },
    ]);
    expect(garminRateLimit.retryAt?.(headers, now)).toEqual(new Date('2026-01-01T00:00:30Z'));
  });

  it('reports nothing when Garmin sends no such headers, and retries a bare 429 after a minute', () => {
    expect(garminRateLimit.parse(new Headers(), now)).toEqual([]);
    expect(garminRateLimit.retryAt?.(new Headers({ 'x-ratelimit-reset': 'soon' }), now)).toEqual(
      new Date('2026-01-01T00:01:00Z'),
    );
  });
});

describe('activityDetails notifications (ADR 0033)', () => {
  it('a push becomes one activity.streams event per user with the mapped details, keyed without the token', async () => {
    const events = await provider.webhooks.parse(await notification(pushDetails), ctx);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({ type: 'activity.streams', providerUserId: USER });
    if (event.type !== 'activity.streams') throw new Error('unreachable');
    expect(event.eventKey).not.toContain(pushDetails.activityDetails[0]!.userAccessToken);
    expect(event.delivered!.items.map((i) => i.providerActivityId)).toEqual(['5001968355']);
    expect(event.delivered!.items[0]!.streams.time).toHaveLength(2);
    // a redelivery with another token is the same delivery
    const again = structuredClone(pushDetails);
    again.activityDetails[0]!.userAccessToken = 'another-token';
    const [redelivered] = await provider.webhooks.parse(await notification(again), ctx);
    expect(redelivered!.eventKey).toBe(event.eventKey);
  });

  it('a ping becomes an activity.streams event with the callbackURL to fetch', async () => {
    const callbackURL =
      'https://apis.garmin.com/wellness-api/rest/activityDetails?uploadStartTimeInSeconds=1&uploadEndTimeInSeconds=2&token=t';
    const events = await provider.webhooks.parse(
      await notification({ activityDetails: [{ userId: USER, callbackURL }] }),
      ctx,
    );
    expect(events).toEqual([
      expect.objectContaining({ type: 'activity.streams', providerUserId: USER, ref: { callbackURL } }),
    ]);
  });
});
