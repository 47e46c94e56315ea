import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SPORT_TYPE_DEFINITIONS } from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { mapPolarSportType } from '../src/polar-sport-types';
import { signPolarWebhook } from '../src/polar-webhooks';
import {
  decodeExerciseId,
  encodeExerciseId,
  type PolarSandbox,
  type PolarSandboxOptions,
  runSandboxCli,
  SANDBOX_SPORTS,
  startPolarSandbox,
} from '../src/sandbox';

const redirectUri = 'https://app.example.com/polar/callback';
const open: { close(): Promise<void> }[] = [];

async function sandboxWith(options: PolarSandboxOptions = {}): Promise<PolarSandbox> {
  const sandbox = await startPolarSandbox(options);
  open.push(sandbox);
  return sandbox;
}

afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

function authorizeUrl(sandbox: PolarSandbox, params: Record<string, string> = {}): string {
  const url = new URL(sandbox.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: sandbox.clientId,
    redirect_uri: redirectUri,
    scope: 'accesslink.read_all',
    state: 'st4te',
    ...params,
  }).toString();
  return url.toString();
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function exchange(
  sandbox: PolarSandbox,
  code: string,
  options: { redirect?: string | null; auth?: string } = {},
) {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code });
  const redirect = options.redirect === undefined ? redirectUri : options.redirect;
  if (redirect !== null) form.set('redirect_uri', redirect);
  return fetch(sandbox.tokenUrl, {
    method: 'POST',
    headers: { authorization: options.auth ?? basic(sandbox.clientId, sandbox.clientSecret) },
    body: form,
  });
}

/** Seeds an account, approves, exchanges the code and (unless told not to) registers the user. */
async function connectUser(sandbox: PolarSandbox, activityCount = 5, register = true) {
  const { providerUserId } = await sandbox.seedAccount({ activityCount });
  const callback = await sandbox.approve(authorizeUrl(sandbox), { providerUserId });
  const code = callback.searchParams.get('code')!;
  const token = (await (await exchange(sandbox, code)).json()) as { access_token: string; x_user_id: number };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sandbox.apiUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token.access_token}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  if (register) {
    const res = await api('/users', { method: 'POST', body: JSON.stringify({ 'member-id': 'member-1' }) });
    expect(res.status).toBe(200);
  }
  return { providerUserId, code, token, api, authorization: `Bearer ${token.access_token}` };
}

/** A webhook receiver answering `status`, recording each delivery. */
async function receiver(status = 200) {
  const deliveries: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(receiverState.status).end();
    });
  });
  const receiverState = { status };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/polar`;
  open.push({
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  return { url, deliveries, state: receiverState };
}

describe('Polar sandbox: OAuth', () => {
  it('serves a consent page with Approve and Deny buttons carrying the request', async () => {
    const sandbox = await sandboxWith();
    await sandbox.seedAccount({ activityCount: 1, firstName: 'Aino', lastName: 'Virtanen' });
    const res = await fetch(authorizeUrl(sandbox));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<form method="post" action="\/oauth2\/authorization">/);
    expect(html).toMatch(/<button[^>]*value="approve"[^>]*>Approve<\/button>/);
    expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
    expect(html).toContain('name="state" value="st4te"');
    expect(html).toContain('Aino Virtanen');
    expect((await fetch(authorizeUrl(sandbox, { client_id: 'someone-else' }))).status).toBe(400);
  });

  it('redirects with a code and the state on approval, and access_denied on denial', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const approved = await sandbox.approve(authorizeUrl(sandbox), { providerUserId });
    expect(approved.origin + approved.pathname).toBe(redirectUri);
    expect(approved.searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
    expect(approved.searchParams.get('state')).toBe('st4te');
    const denied = await sandbox.approve(authorizeUrl(sandbox), { providerUserId, deny: true });
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('code')).toBeNull();
    const badScope = await sandbox.approve(authorizeUrl(sandbox, { scope: 'everything' }), {
      providerUserId,
    });
    expect(badScope.searchParams.get('error')).toBe('invalid_scope');
  });

  it('checks HTTP Basic client authentication and issues no refresh token', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const code = (await sandbox.approve(authorizeUrl(sandbox), { providerUserId })).searchParams.get('code')!;
    const refused = await exchange(sandbox, code, { auth: basic(sandbox.clientId, 'wrong') });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_client' });
    const res = await exchange(sandbox, code);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 31535999,
      x_user_id: Number(providerUserId),
    });
    expect(body.access_token).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('refresh_token');
  });

  it('requires the same redirect_uri at the token endpoint as at authorize', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const code = (await sandbox.approve(authorizeUrl(sandbox), { providerUserId })).searchParams.get('code')!;
    const res = await exchange(sandbox, code, { redirect: null });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant' });
  });

  it('revokes every token of the user when a code is reused, as Polar does', async () => {
    const sandbox = await sandboxWith();
    const { code, api } = await connectUser(sandbox);
    expect((await api('/exercises')).status).toBe(200);
    const reuse = await exchange(sandbox, code);
    expect(reuse.status).toBe(400);
    const after = await api('/exercises');
    expect(after.status).toBe(401);
  });
});

describe('Polar sandbox: users and exercises', () => {
  it('registers a user once (409 on repeat), serves the kebab-case user, and deregisters', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId, api } = await connectUser(sandbox);
    expect(sandbox.isRegistered(providerUserId)).toBe(true);
    const again = await api('/users', { method: 'POST', body: JSON.stringify({ 'member-id': 'member-1' }) });
    expect(again.status).toBe(409);
    const user = (await (await api(`/users/${providerUserId}`)).json()) as Record<string, unknown>;
    expect(user).toMatchObject({ 'polar-user-id': Number(providerUserId), 'member-id': 'member-1' });
    expect(user['first-name']).toEqual(expect.any(String));
    expect((await api(`/users/${providerUserId}`, { method: 'DELETE' })).status).toBe(204);
    expect(sandbox.isRegistered(providerUserId)).toBe(false);
    expect((await api('/exercises')).status).toBe(401); // deregistration revokes the token
  });

  it('answers 403 to registration without consents and to data calls before registration', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1, consentsAccepted: false });
    const code = (await sandbox.approve(authorizeUrl(sandbox), { providerUserId })).searchParams.get('code')!;
    const { access_token } = (await (await exchange(sandbox, code)).json()) as { access_token: string };
    const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' };
    const register = await fetch(`${sandbox.apiUrl}/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ 'member-id': '7' }),
    });
    expect(register.status).toBe(403);
    expect(((await register.json()) as { message: string }).message).toMatch(/consents/);
    const { api } = await connectUser(sandbox, 1, false);
    expect((await api('/exercises')).status).toBe(403);
  });

  it('lists the last 30 days of exercises in snake_case with hashed ids, and each one by id', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const sandbox = await sandboxWith({ clock });
    const { providerUserId, api } = await connectUser(sandbox, 30);
    const res = await api('/exercises');
    expect(res.headers.get('ratelimit-usage')).toMatch(/^\d+,\d+$/);
    const items = (await res.json()) as Record<string, unknown>[];
    expect(items).toHaveLength(30);
    for (const item of items) {
      expect(item.id).toMatch(/^[A-Za-z0-9]+$/);
      expect(item.start_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(item.duration).toMatch(/^PT/);
      expect(typeof item.start_time_utc_offset).toBe('number');
      expect(item.polar_user).toBe(`${sandbox.apiUrl}/users/${providerUserId}`);
    }
    const one = await api(`/exercises/${items[3]!.id}`);
    expect(await one.json()).toEqual(items[3]);
    expect((await api('/exercises/nope')).status).toBe(404);
    // uploads older than 30 days drop out of the listing
    clock.advance(15 * 86_400_000);
    const later = (await (await api('/exercises')).json()) as unknown[];
    expect(later.length).toBeGreaterThan(0);
    expect(later.length).toBeLessThan(30);
  });

  it('runs the transactional flow in kebab-case: create, list, fetch, commit, then 204', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId, api, authorization } = await connectUser(sandbox, 60);
    const base = `/users/${providerUserId}/exercise-transactions`;
    const created = await api(base, { method: 'POST' });
    expect(created.status).toBe(201);
    const tx = (await created.json()) as { 'transaction-id': number; 'resource-uri': string };
    expect(tx['resource-uri']).toBe(`${sandbox.apiUrl}${base}/${tx['transaction-id']}`);
    const list = (await (await api(`${base}/${tx['transaction-id']}`)).json()) as { exercises: string[] };
    expect(list.exercises).toHaveLength(50); // at most 50 per transaction
    const exercise = (await (
      await fetch(list.exercises[0]!, {
        headers: { authorization },
      })
    ).json()) as Record<string, unknown>;
    expect(exercise.id).toEqual(expect.any(Number));
    expect(exercise['transaction-id']).toBe(tx['transaction-id']);
    expect(exercise['start-time']).toEqual(expect.any(String));
    expect(exercise).not.toHaveProperty('start_time');
    // an uncommitted transaction is handed out again
    const reopened = (await (await api(base, { method: 'POST' })).json()) as { 'transaction-id': number };
    expect(reopened['transaction-id']).toBe(tx['transaction-id']);
    expect((await api(`${base}/${tx['transaction-id']}`, { method: 'PUT' })).status).toBe(200);
    const second = (await (await api(base, { method: 'POST' })).json()) as { 'transaction-id': number };
    const rest = (await (await api(`${base}/${second['transaction-id']}`)).json()) as { exercises: string[] };
    expect(rest.exercises).toHaveLength(10);
    await api(`${base}/${second['transaction-id']}`, { method: 'PUT' });
    expect((await api(base, { method: 'POST' })).status).toBe(204);
  });

  it('can hide uploads made before registration, as Polar does', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const sandbox = await sandboxWith({ clock, hideUploadsBeforeRegistration: true });
    const { providerUserId, api } = await connectUser(sandbox, 10);
    expect(await (await api('/exercises')).json()).toEqual([]);
    const base = `/users/${providerUserId}/exercise-transactions`;
    expect((await api(base, { method: 'POST' })).status).toBe(204);
    clock.advance(60_000);
    const added = await sandbox.addActivities(providerUserId, 2);
    const items = (await (await api('/exercises')).json()) as { id: string }[];
    expect(items.map((i) => i.id)).toEqual(added);
  });

  it('generates the same history from the same seed, covering every sport type', async () => {
    const a = await sandboxWith({ clock: new FakeClock('2026-03-01T00:00:00Z'), seed: 7 });
    const b = await sandboxWith({ clock: new FakeClock('2026-03-01T00:00:00Z'), seed: 7 });
    const count = SANDBOX_SPORTS.length;
    const first = await connectUser(a, count);
    const second = await connectUser(b, count);
    const listA = (await (await first.api('/exercises')).json()) as Record<string, unknown>[];
    const listB = (await (await second.api('/exercises')).json()) as Record<string, unknown>[];
    const withoutHost = (list: Record<string, unknown>[]) => list.map(({ polar_user: _u, ...rest }) => rest);
    expect(withoutHost(listA)).toEqual(withoutHost(listB));
    const types = new Set(
      listA.map((e) => mapPolarSportType(e.detailed_sport_info as string, e.sport as string)),
    );
    // every sport type of vocabulary version 1, `other` included, and WATERSPORTS_WATERSKI's `water_sport`
    for (const d of SPORT_TYPE_DEFINITIONS.filter((t) => t.since === 1)) expect(types.has(d.id)).toBe(true);
    expect(types.size).toBe(24);
    expect(listA.some((e) => !('heart_rate' in e) || !('distance' in e))).toBe(true);
  });

  it('streams a 100,000-exercise history', async () => {
    const sandbox = await sandboxWith({ clock: new FakeClock('2026-03-01T00:00:00Z') });
    const { providerUserId, api } = await connectUser(sandbox, 100_000);
    const res = await api('/exercises');
    const items = (await res.json()) as { id: string }[];
    expect(items).toHaveLength(100_000);
    expect(new Set(items.map((i) => i.id)).size).toBe(100_000);
    expect(decodeExerciseId(items[99_999]!.id)).toEqual({
      polarUserId: Number(providerUserId),
      index: 99_999,
    });
    expect(encodeExerciseId(Number(providerUserId), 99_999)).toBe(items[99_999]!.id);
  });
});

describe('Polar sandbox: rate limits and faults', () => {
  it('answers 429 past the app-wide limit, with RateLimit-* headers, until the window resets', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const sandbox = await sandboxWith({ clock, rateLimit: { windowMs: 60_000, limit: 3 } });
    const { api } = await connectUser(sandbox, 1); // registration is the 1st API request
    expect((await api('/exercises')).status).toBe(200);
    const third = await api('/exercises');
    expect(third.status).toBe(200);
    expect(third.headers.get('ratelimit-usage')).toMatch(/^3,3$/);
    expect(third.headers.get('ratelimit-limit')).toMatch(/^3,\d+$/);
    const limited = await api('/exercises');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-reset')).toMatch(/^60,\d+$/);
    clock.advance(60_000);
    expect((await api('/exercises')).status).toBe(200);
  });

  it('injects statuses, 429s with Retry-After, invalid JSON, resets and malformed items', async () => {
    const sandbox = await sandboxWith();
    const { api } = await connectUser(sandbox, 4);
    sandbox.setFaults({ status: { code: 503, times: 2 } });
    expect((await api('/exercises')).status).toBe(503);
    expect((await api('/exercises')).status).toBe(503);
    expect((await api('/exercises')).status).toBe(200);
    sandbox.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 42 } });
    const limited = await api('/exercises');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('42');
    expect(limited.headers.get('ratelimit-usage')).toMatch(/^\d+,\d+$/);
    sandbox.setFaults({ invalidJson: 1 });
    await expect((await api('/exercises')).json()).rejects.toThrow();
    sandbox.setFaults({ connectionResets: 1 });
    await expect(api('/exercises')).rejects.toThrow();
    sandbox.setFaults({ malformedItems: 2 });
    const items = (await (await api('/exercises')).json()) as { start_time: unknown }[];
    expect(items.filter((i) => typeof i.start_time !== 'string')).toHaveLength(2);
    const clean = (await (await api('/exercises')).json()) as { start_time: unknown }[];
    expect(clean.every((i) => typeof i.start_time === 'string')).toBe(true);
  });

  it('leaves a hung request unanswered until the sandbox closes', async () => {
    const sandbox = await startPolarSandbox();
    const { api } = await connectUser(sandbox, 1);
    sandbox.setFaults({ hangs: 1 });
    const pending = api('/exercises').then(
      (r) => r.status,
      () => 'failed',
    );
    while (sandbox.requestCount({ pathPrefix: '/v3/exercises' }) === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // the request arrived and has not been answered
    expect(await Promise.race([pending, Promise.resolve('pending')])).toBe('pending');
    await sandbox.close();
    expect(await pending).toBe('failed');
  });

  it('keeps the OAuth endpoints out of the API fault knobs and rate-limit headers', async () => {
    const sandbox = await sandboxWith();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    sandbox.setFaults({ invalidJson: 1, status: { code: 500, times: 1 } });
    const code = (await sandbox.approve(authorizeUrl(sandbox), { providerUserId })).searchParams.get('code')!;
    const token = await exchange(sandbox, code);
    expect(token.status).toBe(200);
    expect(token.headers.get('ratelimit-usage')).toBeNull();
    const { access_token } = (await token.json()) as { access_token: string };
    const api = await fetch(`${sandbox.apiUrl}/exercises`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(api.status).toBe(500); // the knob was still armed for the API
  });

  it('counts requests by path and method', async () => {
    const sandbox = await sandboxWith();
    const { api } = await connectUser(sandbox, 1);
    await api('/exercises');
    expect(sandbox.requestCount({ pathPrefix: '/v3/exercises' })).toBe(1);
    expect(sandbox.requestCount({ method: 'POST', pathPrefix: '/v3/users' })).toBe(1);
    expect(sandbox.requestCount({ pathPrefix: '/v2/oauth2/token' })).toBe(1);
    sandbox.resetCounters();
    expect(sandbox.requestCount()).toBe(0);
  });
});

describe('Polar sandbox: webhooks', () => {
  const clientAuth = (sandbox: PolarSandbox) => ({
    authorization: basic(sandbox.clientId, sandbox.clientSecret),
    'content-type': 'application/json',
  });

  it('pings the URL on creation, returns the secret once, allows one webhook, lists and deletes it', async () => {
    const sandbox = await sandboxWith();
    const hook = await receiver(200);
    const created = await fetch(`${sandbox.apiUrl}/webhooks`, {
      method: 'POST',
      headers: clientAuth(sandbox),
      body: JSON.stringify({ events: ['EXERCISE'], url: hook.url }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      events: ['EXERCISE'],
      url: hook.url,
      signature_secret_key: sandbox.webhookSecret,
    });
    expect(hook.deliveries).toHaveLength(1);
    expect(hook.deliveries[0]?.headers['polar-webhook-event']).toBe('PING');
    expect(JSON.parse(hook.deliveries[0]!.body)).toMatchObject({ event: 'PING' });
    const duplicate = await fetch(`${sandbox.apiUrl}/webhooks`, {
      method: 'POST',
      headers: clientAuth(sandbox),
      body: JSON.stringify({ events: ['EXERCISE'], url: hook.url }),
    });
    expect(duplicate.status).toBe(409);
    const listed = (await (
      await fetch(`${sandbox.apiUrl}/webhooks`, { headers: clientAuth(sandbox) })
    ).json()) as {
      data: Record<string, unknown>[];
    };
    expect(listed.data).toEqual([{ id: data.id, events: ['EXERCISE'], url: hook.url, active: true }]);
    expect(listed.data[0]).not.toHaveProperty('signature_secret_key');
    const deleted = await fetch(`${sandbox.apiUrl}/webhooks/${data.id}`, {
      method: 'DELETE',
      headers: clientAuth(sandbox),
    });
    expect(deleted.status).toBe(204);
    expect(sandbox.currentWebhook).toBeNull();
    const unauthenticated = await fetch(`${sandbox.apiUrl}/webhooks`);
    expect(unauthenticated.status).toBe(401);
  });

  // AccessLink's reference: PATCH and DELETE /v3/webhooks/{webhook-id} answer 404 "Webhook not found"
  it('answers 404 to updating or deleting a webhook once it is deleted, changing nothing', async () => {
    const sandbox = await sandboxWith();
    const first = await receiver(200);
    const second = await receiver(200);
    const create = () =>
      fetch(`${sandbox.apiUrl}/webhooks`, {
        method: 'POST',
        headers: clientAuth(sandbox),
        body: JSON.stringify({ events: ['EXERCISE'], url: first.url }),
      });
    const patch = (id: string) =>
      fetch(`${sandbox.apiUrl}/webhooks/${id}`, {
        method: 'PATCH',
        headers: clientAuth(sandbox),
        body: JSON.stringify({ events: ['EXERCISE', 'SLEEP'], url: second.url }),
      });
    const remove = (id: string) =>
      fetch(`${sandbox.apiUrl}/webhooks/${id}`, { method: 'DELETE', headers: clientAuth(sandbox) });

    const { data: gone } = (await (await create()).json()) as { data: { id: string } };
    expect((await remove(gone.id)).status).toBe(204);
    const patched = await patch(gone.id);
    expect(patched.status).toBe(404);
    expect(await patched.json()).toMatchObject({ status: 404, message: expect.stringContaining(gone.id) });
    expect(second.deliveries).toEqual([]); // no PING to the new URL
    expect(sandbox.currentWebhook).toBeNull();
    expect((await remove(gone.id)).status).toBe(404);

    // a webhook created since has its own id: the deleted one is still not found, and the new one untouched
    const recreated = await create();
    expect(recreated.status).toBe(201);
    const { data: current } = (await recreated.json()) as { data: { id: string } };
    expect(current.id).not.toBe(gone.id);
    expect((await patch(gone.id)).status).toBe(404);
    expect((await remove(gone.id)).status).toBe(404);
    expect(sandbox.currentWebhook).toMatchObject({ id: current.id, events: ['EXERCISE'], url: first.url });
    expect(second.deliveries).toEqual([]);
  });

  it('fails the creation when the ping is not answered 200', async () => {
    const sandbox = await sandboxWith();
    const hook = await receiver(500);
    const created = await fetch(`${sandbox.apiUrl}/webhooks`, {
      method: 'POST',
      headers: clientAuth(sandbox),
      body: JSON.stringify({ events: ['EXERCISE'], url: hook.url }),
    });
    expect(created.status).toBe(400);
    expect(sandbox.currentWebhook).toBeNull();
  });

  it('delivers signed EXERCISE events and deactivates the webhook after repeated failures', async () => {
    const sandbox = await sandboxWith({ autoDeactivateAfterFailures: 2 });
    const hook = await receiver(200);
    await fetch(`${sandbox.apiUrl}/webhooks`, {
      method: 'POST',
      headers: clientAuth(sandbox),
      body: JSON.stringify({ events: ['EXERCISE'], url: hook.url }),
    });
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const [id] = await sandbox.addActivities(providerUserId, 1);
    const event = { type: 'activity.created', providerUserId, providerActivityId: id! } as const;
    expect((await sandbox.sendWebhook(event))?.status).toBe(200);
    const delivery = hook.deliveries.at(-1)!;
    expect(delivery.headers['polar-webhook-event']).toBe('EXERCISE');
    expect(delivery.headers['polar-webhook-signature']).toBe(
      signPolarWebhook(delivery.body, sandbox.webhookSecret),
    );
    expect(JSON.parse(delivery.body)).toMatchObject({
      event: 'EXERCISE',
      user_id: Number(providerUserId),
      entity_id: id,
      url: `${sandbox.apiUrl}/exercises/${id}`,
    });
    hook.state.status = 500;
    expect((await sandbox.sendWebhook(event))?.status).toBe(500);
    expect(sandbox.currentWebhook?.active).toBe(true);
    expect((await sandbox.sendWebhook(event))?.status).toBe(500);
    expect(sandbox.currentWebhook?.active).toBe(false);
    const before = hook.deliveries.length;
    expect(await sandbox.sendWebhook(event)).toBeNull(); // an inactive webhook receives nothing
    expect(hook.deliveries).toHaveLength(before);
  });

  it('re-pings on a URL change, activates and deactivates, and delivers on upload when asked', async () => {
    const sandbox = await sandboxWith({ deliverOnUpload: true });
    const first = await receiver(200);
    const second = await receiver(200);
    const created = (await (
      await fetch(`${sandbox.apiUrl}/webhooks`, {
        method: 'POST',
        headers: clientAuth(sandbox),
        body: JSON.stringify({ events: ['EXERCISE'], url: first.url }),
      })
    ).json()) as { data: { id: string } };
    const patched = await fetch(`${sandbox.apiUrl}/webhooks/${created.data.id}`, {
      method: 'PATCH',
      headers: clientAuth(sandbox),
      body: JSON.stringify({ url: second.url }),
    });
    expect(patched.status).toBe(200);
    expect(second.deliveries.map((d) => d.headers['polar-webhook-event'])).toEqual(['PING']);

    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const [id] = await sandbox.addActivities(providerUserId, 1);
    expect(second.deliveries).toHaveLength(2);
    expect(JSON.parse(second.deliveries[1]!.body)).toMatchObject({ event: 'EXERCISE', entity_id: id });
    expect(first.deliveries).toHaveLength(1); // only its creation PING

    // AccessLink: 200 when done (204 means "webhook does not exist")
    const deactivate = await fetch(`${sandbox.apiUrl}/webhooks/deactivate`, {
      method: 'POST',
      headers: clientAuth(sandbox),
    });
    expect(deactivate.status).toBe(200);
    await sandbox.addActivities(providerUserId, 1);
    expect(second.deliveries).toHaveLength(2);
    const activate = await fetch(`${sandbox.apiUrl}/webhooks/activate`, {
      method: 'POST',
      headers: clientAuth(sandbox),
    });
    expect(activate.status).toBe(200);
    expect(sandbox.currentWebhook?.active).toBe(true);
    // activation pings the URL first
    expect(second.deliveries.map((d) => d.headers['polar-webhook-event'])).toEqual([
      'PING',
      'EXERCISE',
      'PING',
    ]);
    await sandbox.addActivities(providerUserId, 1);
    expect(second.deliveries).toHaveLength(4);
  });

  it('activates only when the ping is answered 200, and answers 204 to either call without a webhook', async () => {
    const sandbox = await sandboxWith();
    for (const path of ['activate', 'deactivate']) {
      const answer = await fetch(`${sandbox.apiUrl}/webhooks/${path}`, {
        method: 'POST',
        headers: clientAuth(sandbox),
      });
      expect(answer.status, path).toBe(204);
    }
    const hook = await receiver(200);
    await fetch(`${sandbox.apiUrl}/webhooks`, {
      method: 'POST',
      headers: clientAuth(sandbox),
      body: JSON.stringify({ events: ['EXERCISE'], url: hook.url }),
    });
    await fetch(`${sandbox.apiUrl}/webhooks/deactivate`, { method: 'POST', headers: clientAuth(sandbox) });
    hook.state.status = 500;
    const refused = await fetch(`${sandbox.apiUrl}/webhooks/activate`, {
      method: 'POST',
      headers: clientAuth(sandbox),
    });
    expect(refused.status).toBe(400);
    expect(sandbox.currentWebhook?.active).toBe(false);
  });

  it('builds signed webhook requests for tests; Polar has no deletion or deauthorization event', async () => {
    const sandbox = await sandboxWith();
    const request = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId: '1', providerActivityId: 'abc' },
      { url: 'http://127.0.0.1/hooks/polar' },
    );
    const body = await request!.text();
    expect(request!.headers.get('polar-webhook-signature')).toBe(
      signPolarWebhook(body, sandbox.webhookSecret),
    );
    expect(await sandbox.webhookRequest({ type: 'deauthorized', providerUserId: '1' })).toBeNull();
    expect(
      await sandbox.webhookRequest({
        type: 'activity.deleted',
        providerUserId: '1',
        providerActivityId: 'abc',
      }),
    ).toBeNull();
  });
});

describe('Polar sandbox: CLI', () => {
  it('starts a sandbox, seeds accounts and prints the variables that point the plugin at it', async () => {
    const lines: string[] = [];
    const sandbox = await runSandboxCli(['--port', '0', '--accounts', '2', '--activities', '3'], {
      log: (line) => lines.push(line),
    });
    open.push(sandbox);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(lines.join('\n'))?.[1];
    expect(url).toBeDefined();
    expect(lines).toContain(`  export POLAR_API_URL=${url}/v3`);
    expect(lines).toContain(`  export POLAR_AUTHORIZE_URL=${url}/oauth2/authorization`);
    expect(lines).toContain(`  export POLAR_TOKEN_URL=${url}/v2/oauth2/token`);
    expect(lines.some((l) => l.startsWith('  export POLAR_WEBHOOK_SECRET='))).toBe(true);
    expect((await fetch(`${url}/v3/exercises`)).status).toBe(401);
    await expect(runSandboxCli(['--port', 'abc'])).rejects.toThrow(/--port must be a non-negative integer/);
  });
});
