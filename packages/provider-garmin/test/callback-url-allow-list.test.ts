import { type ConnectionContext, type JsonValue, ValidationError } from '@trainlytics/core';
import { createRecordingContext } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';
import { garmin } from '../src/garmin-provider';
import { toWebhookRequest } from './harness';

// A ping notification names the URL the plugin then fetches with the user's token. The body is unsigned (any
// sender can forge one), so the plugin must fetch only URLs on its configured API (core's `allowedUrl`, ADR
// 0040). These cases drive the plugin as core does: the notification through `webhooks.verify` and
// `webhooks.parse`, then the event's ref through `fetchChanged` (`activities`) or `streams.fetchDelivered`
// (`activityDetails`), on the real https base with a fetch that records instead of sending.

const CLIENT_ID = 'my-garmin-client';
const USER = '4aacafe82427c251df9c9592d0c06768';
const API = 'https://apis.garmin.com/wellness-api/rest';
const QUERY = '?uploadStartTimeInSeconds=1772366400&uploadEndTimeInSeconds=1772370000&token=pull-token';

const provider = garmin({ clientId: CLIENT_ID, clientSecret: 's', apiUrl: API, env: {} });

function recordingContext() {
  return createRecordingContext(provider, {
    connection: { id: 1, userId: 1, providerUserId: USER, scopes: ['ACTIVITY_EXPORT'], profile: {} },
  });
}

/** The ping's ref, as `webhooks.parse` hands it on (one event, the URL unchanged). */
async function pingRef(envelope: 'activities' | 'activityDetails', callbackURL: string): Promise<JsonValue> {
  const request = await toWebhookRequest(
    new Request('https://app.example.com/webhooks/garmin/8c1f', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'garmin-client-id': CLIENT_ID },
      body: JSON.stringify({ [envelope]: [{ userId: USER, userAccessToken: 'tok', callbackURL }] }),
    }),
  );
  const { ctx } = recordingContext();
  provider.webhooks.verify(request, ctx);
  const events = await provider.webhooks.parse(request, ctx);
  expect(events).toHaveLength(1);
  const event = events[0]!;
  if (event.type !== 'activity.changed' && event.type !== 'activity.streams') {
    throw new Error(`unexpected event ${event.type}`);
  }
  expect(event.ref).toEqual({ callbackURL });
  return event.ref!;
}

const follow = {
  activities: (ctx: ConnectionContext, ref: JsonValue) => provider.fetchChanged(ctx, ref),
  activityDetails: (ctx: ConnectionContext, ref: JsonValue) => provider.streams.fetchDelivered!(ctx, ref),
};

describe.each(['activities', 'activityDetails'] as const)('a %s ping callbackURL', (envelope) => {
  it.each([
    ['on the API', `${API}/${envelope}${QUERY}`],
    [
      'with the https default port spelled out',
      `https://apis.garmin.com:443/wellness-api/rest/${envelope}${QUERY}`,
    ],
  ])('%s is fetched, with the user token', async (_what, callbackURL) => {
    const ref = await pingRef(envelope, callbackURL);
    const { ctx, sent } = recordingContext();
    await follow[envelope](ctx, ref);
    expect(sent).toHaveLength(1);
    expect(new URL(sent[0]!.url).pathname).toBe(`/wellness-api/rest/${envelope}`);
    expect(sent[0]!.authorization).toBe('Bearer user-access-token');
  });

  it.each([
    ['another host', `https://attacker.example/wellness-api/rest/${envelope}${QUERY}`],
    ['a subdomain of the API host', `https://evil.apis.garmin.com/wellness-api/rest/${envelope}${QUERY}`],
    ['another port', `https://apis.garmin.com:8443/wellness-api/rest/${envelope}${QUERY}`],
    ['userinfo (user@)', `https://user@apis.garmin.com/wellness-api/rest/${envelope}${QUERY}`],
    ['userinfo (user:pass@)', `https://user:pass@apis.garmin.com/wellness-api/rest/${envelope}${QUERY}`],
    ['the API host as userinfo', `https://apis.garmin.com@attacker.example/wellness-api/rest/${envelope}`],
    ['an encoded slash', `${API}/..%2F..%2Fadmin${QUERY}`],
    ['an encoded slash (lower case)', `${API}/${envelope}%2f..%2f..%2fadmin`],
    ['an encoded backslash', `${API}/..%5C..%5Cadmin${QUERY}`],
    ['dot segments leaving the API path', `${API}/../../admin/${envelope}${QUERY}`],
    ['encoded dot segments leaving the API path', `${API}/%2e%2e/%2E%2E/admin/${envelope}${QUERY}`],
    ['plain http to the https API', `http://apis.garmin.com/wellness-api/rest/${envelope}${QUERY}`],
  ])('with %s is refused, sending nothing', async (_what, callbackURL) => {
    const ref = await pingRef(envelope, callbackURL);
    const { ctx, sent } = recordingContext();
    const error = await follow[envelope](ctx, ref).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/is not on the Garmin API/);
    // the pull token in the query is never shown
    expect((error as Error).message).not.toContain('pull-token');
    expect(sent).toEqual([]);
  });
});
