import { type JsonValue, ValidationError, type WebhookRequest } from '@trainlytics/core';
import { createRecordingContext } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';
import { polar, signPolarWebhook } from '../src';

// An EXERCISE delivery names the URL the plugin then fetches with that user's token. A signed body can still
// be replayed or come from a leaked secret, so the plugin fetches only URLs under `<apiUrl>/exercises/` (core's
// `allowedUrl`, ADR 0040). These cases drive the plugin as core does: the signed delivery through
// `webhooks.verify` and `webhooks.parse`, then the event's ref through `fetchChanged`, on the real https base
// with a fetch that records instead of sending.

const API = 'https://www.polaraccesslink.com/v3';
const SECRET = 'sandbox-free-secret-for-the-allow-list';
const provider = polar({ clientId: 'c', clientSecret: 's', webhookSecret: SECRET, apiUrl: API, env: {} });

function recordingContext() {
  return createRecordingContext(provider, {
    connection: { id: 1, userId: 1, providerUserId: '475', scopes: ['accesslink.read_all'], profile: {} },
    // deleted since the delivery: an empty batch, so a fetched URL needs no exercise body here
    respond: () =>
      new Response('{"status":404}', { status: 404, headers: { 'content-type': 'application/json' } }),
  });
}

/** The delivery's ref, as `webhooks.parse` hands it on (one event, the URL unchanged). */
async function deliveredRef(url: string): Promise<JsonValue> {
  const body = JSON.stringify({
    event: 'EXERCISE',
    user_id: 475,
    entity_id: 'aQlC83',
    timestamp: '2026-03-01T11:59:00Z',
    url,
  });
  const request: WebhookRequest = {
    method: 'POST',
    url: new URL('https://app.example.com/webhooks/polar'),
    headers: new Headers({
      'content-type': 'application/json',
      'polar-webhook-event': 'EXERCISE',
      'polar-webhook-signature': signPolarWebhook(body, SECRET),
    }),
    body: new TextEncoder().encode(body),
    text: () => body,
    json: () => JSON.parse(body),
  };
  const { ctx } = recordingContext();
  provider.webhooks.verify(request, ctx);
  const events = await provider.webhooks.parse(request, ctx);
  expect(events).toEqual([expect.objectContaining({ type: 'activity.changed', ref: url })]);
  return url;
}

describe('the exercise URL of an EXERCISE delivery', () => {
  it.each([
    ['on the API', `${API}/exercises/aQlC83`],
    ['with the https default port spelled out', 'https://www.polaraccesslink.com:443/v3/exercises/aQlC83'],
    ['with a dot segment staying under /exercises/', `${API}/exercises/x/../aQlC83`],
  ])('%s is fetched, with the user token', async (_what, url) => {
    const ref = await deliveredRef(url);
    const { ctx, sent } = recordingContext();
    expect(await provider.fetchChanged!(ctx, ref)).toEqual({ activities: [], rejected: [] });
    expect(sent).toHaveLength(1);
    expect(new URL(sent[0]!.url).pathname).toBe('/v3/exercises/aQlC83');
    expect(sent[0]!.authorization).toBe('Bearer user-access-token');
  });

  it.each([
    ['another host', 'https://attacker.example/v3/exercises/aQlC83'],
    ['a subdomain of the API host', 'https://evil.www.polaraccesslink.com/v3/exercises/aQlC83'],
    ['another port', 'https://www.polaraccesslink.com:8443/v3/exercises/aQlC83'],
    ['userinfo (user@)', 'https://user@www.polaraccesslink.com/v3/exercises/aQlC83'],
    ['userinfo (user:pass@)', 'https://user:pass@www.polaraccesslink.com/v3/exercises/aQlC83'],
    ['the API host as userinfo', 'https://www.polaraccesslink.com@attacker.example/v3/exercises/aQlC83'],
    ['an encoded slash', `${API}/exercises/..%2F..%2Fusers%2F475`],
    ['an encoded slash (lower case)', `${API}/exercises/aQlC83%2f..%2f..%2fwebhooks`],
    ['an encoded backslash', `${API}/exercises/..%5C..%5Cwebhooks`],
    ['dot segments leaving /exercises/', `${API}/exercises/../webhooks`],
    ['encoded dot segments leaving /exercises/', `${API}/exercises/%2e%2e/%2E%2E/admin`],
    ['plain http to the https API', 'http://www.polaraccesslink.com/v3/exercises/aQlC83'],
    ['another path on the API', `${API}/webhooks`],
    ['the exercises path itself', `${API}/exercises`],
  ])('with %s is refused, sending nothing', async (_what, url) => {
    const ref = await deliveredRef(url);
    const { ctx, sent } = recordingContext();
    const error = await provider.fetchChanged!(ctx, ref).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/is not on the configured Polar API/);
    expect(sent).toEqual([]);
  });
});
