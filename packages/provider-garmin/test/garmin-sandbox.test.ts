import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock, pkceChallenge, SPORT_TYPE_DEFINITIONS } from '@trainlytics/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mapGarminSportType } from '../src/garmin-sport-types';
import {
  type GarminSandbox,
  GeneratedHistory,
  MAX_DELIVERY_ATTEMPTS,
  runSandboxCli,
  type SandboxScheduler,
  startGarminSandbox,
} from '../src/sandbox';

// The sandbox over real HTTP, as Garmin's API behaves: OAuth 2.0 PKCE, the upload-time pull, backfill,
// rate-limit headers, faults, and the deterministic streaming histories.

const DAY_S = 86_400;
let clock: FakeClock;
let sandbox: GarminSandbox;

beforeEach(async () => {
  clock = new FakeClock('2026-02-10T10:00:00Z');
  sandbox = await startGarminSandbox({ clock, seed: 3 });
});
afterEach(async () => {
  await sandbox.close();
});

const nowS = () => clock.now().getTime() / 1000;

function authorizeUrl(challenge: string, extra: Record<string, string> = {}) {
  const url = new URL(sandbox.authorizeUrl);
  const params = {
    response_type: 'code',
    client_id: sandbox.clientId,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    redirect_uri: 'http://127.0.0.1/cb',
    state: 'xyz',
    ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

async function token(form: Record<string, string>) {
  const res = await fetch(sandbox.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function userToken(providerUserId: string) {
  const callback = await sandbox.approve(authorizeUrl(pkceChallenge('v'.repeat(43))), { providerUserId });
  const { body } = await token({
    grant_type: 'authorization_code',
    client_id: sandbox.clientId,
    client_secret: sandbox.clientSecret,
    code: callback.searchParams.get('code')!,
    code_verifier: 'v'.repeat(43),
    redirect_uri: 'http://127.0.0.1/cb',
  });
  return body.access_token as string;
}

async function api(path: string, accessToken: string, init: RequestInit = {}) {
  const res = await fetch(`${sandbox.apiUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('consent page', () => {
  it('serves a form with Approve and Deny buttons and the seeded accounts', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const res = await fetch(authorizeUrl('c'.repeat(43)));
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('<form method="post" action="/oauth2Confirm"');
    expect(html).toMatch(/<button[^>]*value="approve"[^>]*>Approve<\/button>/);
    expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
    expect(html).toContain(providerUserId);
    expect(html).toContain('value="ACTIVITY_EXPORT" checked');
  });

  it('refuses an unknown client and a request without PKCE', async () => {
    expect((await fetch(authorizeUrl('c', { client_id: 'nope' }))).status).toBe(400);
    const noPkce = new URL(authorizeUrl('c'));
    noPkce.searchParams.delete('code_challenge');
    const res = await fetch(noPkce);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('code_challenge is required');
  });

  it('redirects with error=access_denied when the user denies', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const callback = await sandbox.approve(authorizeUrl('c'), { providerUserId, deny: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('xyz');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('creates a new account with a history when the browser picks "new"', async () => {
    const form = new URLSearchParams(new URL(authorizeUrl('c')).searchParams);
    form.set('user_id', 'new');
    form.append('permission', 'ACTIVITY_EXPORT');
    form.set('decision', 'approve');
    const res = await fetch(sandbox.authorizeUrl, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('code')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('token endpoint', () => {
  it('checks the PKCE verifier, and codes are single-use', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const callback = await sandbox.approve(authorizeUrl(pkceChallenge('right-verifier')), { providerUserId });
    const form = {
      grant_type: 'authorization_code',
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
      code: callback.searchParams.get('code')!,
      redirect_uri: 'http://127.0.0.1/cb',
    };
    const wrong = await token({ ...form, code_verifier: 'wrong-verifier' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(String(wrong.body.error_description)).toContain('code_verifier');
    // the failed attempt consumed the code
    const retry = await token({ ...form, code_verifier: 'right-verifier' });
    expect(retry.status).toBe(400);
  });

  it('issues 24 h tokens and rotates the refresh token on every refresh', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const callback = await sandbox.approve(authorizeUrl(pkceChallenge('verifier-1')), { providerUserId });
    const issued = await token({
      grant_type: 'authorization_code',
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
      code: callback.searchParams.get('code')!,
      code_verifier: 'verifier-1',
      redirect_uri: 'http://127.0.0.1/cb',
    });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({
      token_type: 'bearer',
      expires_in: 86_399,
      refresh_token_expires_in: 7_775_998,
    });
    const refresh = {
      grant_type: 'refresh_token',
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
    };
    const rotated = await token({ ...refresh, refresh_token: issued.body.refresh_token as string });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(issued.body.refresh_token);
    const reused = await token({ ...refresh, refresh_token: issued.body.refresh_token as string });
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    sandbox.setFaults({ rejectRefresh: true });
    const rejected = await token({ ...refresh, refresh_token: rotated.body.refresh_token as string });
    expect(rejected.status).toBe(400);
  });

  it('refuses bad client credentials', async () => {
    const res = await token({
      grant_type: 'refresh_token',
      client_id: sandbox.clientId,
      client_secret: 'bad',
      refresh_token: 'x',
    });
    expect(res).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('expires access tokens on the sandbox clock', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const access = await userToken(providerUserId);
    expect((await api('/user/id', access)).status).toBe(200);
    clock.advance(DAY_S * 1000);
    expect((await api('/user/id', access)).status).toBe(401);
  });
});

describe('API', () => {
  it('answers user id and permissions, and deregistration invalidates the tokens', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const access = await userToken(providerUserId);
    expect((await api('/user/id', access)).body).toEqual({ userId: providerUserId });
    expect((await api('/user/permissions', access)).body).toEqual(sandbox.permissionsOf(providerUserId));
    expect((await api('/user/registration', access, { method: 'DELETE' })).status).toBe(204);
    expect((await api('/user/id', access)).status).toBe(401);
    expect(sandbox.pendingNotifications()).toBe(1);
  });

  it('a user who deregisters in Garmin Connect: the token answers 401, its refresh invalid_grant; the permissions endpoint tells the current permissions', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const callback = await sandbox.approve(authorizeUrl(pkceChallenge('w'.repeat(43))), { providerUserId });
    const { body: tokens } = await token({
      grant_type: 'authorization_code',
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
      code: callback.searchParams.get('code')!,
      code_verifier: 'w'.repeat(43),
      redirect_uri: 'http://127.0.0.1/cb',
    });
    const access = tokens.access_token as string;
    sandbox.setPermissions(providerUserId, ['ACTIVITY_EXPORT']);
    expect(await api('/user/permissions', access)).toMatchObject({ status: 200, body: ['ACTIVITY_EXPORT'] });

    // the fault knobs reach the permissions endpoint like any other
    sandbox.setFaults({ status: { code: 503, times: 1, pathPrefix: '/wellness-api/rest/user/permissions' } });
    expect((await api('/user/permissions', access)).status).toBe(503);
    sandbox.setFaults({ rateLimited: { times: 1 } });
    expect((await api('/user/permissions', access)).status).toBe(429);

    const deregistration = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
    expect(await deregistration!.json()).toMatchObject({ deregistrations: [{ userId: providerUserId }] });
    expect(sandbox.isRegistered(providerUserId)).toBe(false);
    expect((await api('/user/permissions', access)).status).toBe(401);
    const refresh = await token({
      grant_type: 'refresh_token',
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
      refresh_token: tokens.refresh_token as string,
    });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('pulls by upload time and rejects windows over 24 hours', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 40, days: 5 });
    const access = await userToken(providerUserId);
    const tooLong = await api(
      `/activities?uploadStartTimeInSeconds=${nowS() - DAY_S - 1}&uploadEndTimeInSeconds=${nowS()}`,
      access,
    );
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toContain('86400');
    let seen = 0;
    for (let end = nowS(); end > nowS() - 6 * DAY_S; end -= DAY_S) {
      const res = await api(
        `/activities?uploadStartTimeInSeconds=${end - DAY_S}&uploadEndTimeInSeconds=${end}`,
        access,
      );
      expect(res.status).toBe(200);
      const items = res.body as Array<{ isParent?: boolean; userId: string }>;
      seen += items.filter((i) => !i.isParent).length;
      for (const i of items) expect(i.userId).toBe(providerUserId);
    }
    expect(seen).toBe(40);
  });

  it('accepts a backfill of at most 30 days with 202, answers 409 to a duplicate', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 10 });
    const access = await userToken(providerUserId);
    const path = (start: number, end: number) =>
      `/backfill/activities?summaryStartTimeInSeconds=${start}&summaryEndTimeInSeconds=${end}`;
    const end = nowS();
    expect((await api(path(end - 31 * DAY_S, end), access)).status).toBe(400);
    expect((await api(path(end - 30 * DAY_S, end), access)).status).toBe(202);
    expect((await api(path(end - 30 * DAY_S, end), access)).status).toBe(409);
    expect(sandbox.pendingNotifications()).toBe(1);
    const [push] = sandbox.takeNotifications({ url: 'http://127.0.0.1:9/hook' });
    expect(push!.url).toBe('http://127.0.0.1:9/hook');
    expect(push!.headers.get('garmin-client-id')).toBe(sandbox.clientId);
    const body = (await push!.json()) as { activities: Array<{ userAccessToken?: string }> };
    expect(body.activities.filter((a) => !(a as { isParent?: boolean }).isParent)).toHaveLength(10);
    expect(body.activities[0]!.userAccessToken).toBe(access);
    expect(sandbox.pendingNotifications()).toBe(0);
  });

  it('delivers a backfill by ping: the callbackURL returns the summaries', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 6 });
    const access = await userToken(providerUserId);
    const end = nowS();
    await api(
      `/backfill/activities?summaryStartTimeInSeconds=${end - 10 * DAY_S}&summaryEndTimeInSeconds=${end}`,
      access,
    );
    const [ping] = sandbox.takeNotifications({ mode: 'ping' });
    const body = (await ping!.json()) as { activities: Array<{ callbackURL: string }> };
    const callback = new URL(body.activities[0]!.callbackURL);
    expect(callback.searchParams.get('token')).toBeTruthy();
    const res = await api(`${callback.pathname.replace('/wellness-api/rest', '')}${callback.search}`, access);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(6);
  });

  it('puts rate-limit headers on every response and answers 429 over the app-wide limit', async () => {
    await sandbox.close();
    sandbox = await startGarminSandbox({ clock, rateLimit: { windowMs: 60_000, limit: 2 } });
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const access = await userToken(providerUserId);
    const first = await api('/user/id', access);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset')).toBe('60');
    expect((await api('/user/id', access)).headers.get('x-ratelimit-remaining')).toBe('0');
    const limited = await api('/user/id', access);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    clock.advance(60_000);
    expect((await api('/user/id', access)).status).toBe(200);
  });

  it('applies fault knobs once each', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const access = await userToken(providerUserId);
    sandbox.setFaults({ status: { code: 500, times: 1 }, invalidJson: 1 });
    expect((await api('/user/id', access)).status).toBe(500);
    const broken = await fetch(`${sandbox.apiUrl}/user/id`, {
      headers: { authorization: `Bearer ${access}` },
    });
    await expect(broken.json()).rejects.toThrow();
    expect((await api('/user/id', access)).status).toBe(200);
    sandbox.setFaults({ connectionResets: 1 });
    await expect(
      fetch(`${sandbox.apiUrl}/user/id`, { headers: { authorization: `Bearer ${access}` } }),
    ).rejects.toThrow();
    expect((await api('/user/id', access)).status).toBe(200);
    expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/user/id', method: 'GET' })).toBe(5);
  });
});

/** A scheduler the test drives: tasks run only when `runDue` is called. */
class ManualScheduler implements SandboxScheduler {
  tasks: Array<{ task: () => Promise<void>; delayMs: number; cancelled: boolean }> = [];
  schedule(task: () => Promise<void>, delayMs: number) {
    const entry = { task, delayMs, cancelled: false };
    this.tasks.push(entry);
    return { cancel: () => (entry.cancelled = true) };
  }
  /** Runs (and forgets) every task scheduled so far; returns their delays. */
  async runDue(): Promise<number[]> {
    const due = this.tasks.filter((t) => !t.cancelled);
    this.tasks = [];
    for (const t of due) await t.task();
    return due.map((t) => t.delayMs);
  }
}

/** A webhook endpoint recording the bodies it receives, answering with `statuses` in turn (then 200). */
async function startReceiver(statuses: number[] = []) {
  const bodies: Array<{ activities?: Array<{ isParent?: boolean; summaryId: string }> }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      if (status === 200) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/garmin`;
  const summaryIds = () =>
    bodies.flatMap((b) => (b.activities ?? []).filter((a) => !a.isParent).map((a) => a.summaryId));
  return { url, bodies, summaryIds, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('automatic backfill delivery (as Garmin: no program has to flush)', () => {
  const requestBackfill = async (days: number) => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 12, days: 5 });
    const access = await userToken(providerUserId);
    const end = nowS();
    const res = await api(
      `/backfill/activities?summaryStartTimeInSeconds=${end - days * DAY_S}&summaryEndTimeInSeconds=${end}`,
      access,
    );
    expect(res.status).toBe(202);
    return providerUserId;
  };

  it('posts a requested backfill to the webhook URL by itself, after the delay, each summary once', async () => {
    const receiver = await startReceiver();
    const scheduler = new ManualScheduler();
    await sandbox.close();
    sandbox = await startGarminSandbox({
      clock,
      seed: 3,
      webhookUrl: receiver.url,
      scheduler,
      backfillDelayMs: 1500,
    });
    try {
      const providerUserId = await requestBackfill(30);
      // asynchronous: nothing arrives with the 202, it is scheduled
      expect(receiver.bodies).toHaveLength(0);
      expect(await scheduler.runDue()).toEqual([1500]);
      const expected = sandbox.summariesStartedBetween(providerUserId, nowS() - 30 * DAY_S, nowS());
      expect(receiver.summaryIds().sort()).toEqual(
        expected
          .filter((s) => !s.isParent)
          .map((s) => s.summaryId)
          .sort(),
      );
      expect(receiver.summaryIds()).toHaveLength(12);
      expect(sandbox.pendingNotifications()).toBe(0);
      expect(sandbox.deliveries()).toEqual([
        expect.objectContaining({ providerUserId, attempt: 1, statuses: [200] }),
      ]);
      // nothing is left to send twice
      expect(await scheduler.runDue()).toEqual([]);
      expect(await sandbox.flushNotifications()).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('retries a delivery the app refused, the delay doubling, then leaves it pending', async () => {
    const receiver = await startReceiver([503, 500]);
    const scheduler = new ManualScheduler();
    await sandbox.close();
    sandbox = await startGarminSandbox({
      clock,
      seed: 3,
      webhookUrl: receiver.url,
      scheduler,
      backfillDelayMs: 100,
    });
    try {
      await requestBackfill(10);
      expect(await scheduler.runDue()).toEqual([100]);
      expect(sandbox.pendingNotifications()).toBe(1);
      expect(await scheduler.runDue()).toEqual([200]);
      expect(sandbox.pendingNotifications()).toBe(1);
      expect(await scheduler.runDue()).toEqual([400]);
      expect(sandbox.pendingNotifications()).toBe(0);
      expect(receiver.summaryIds()).toHaveLength(12);
      expect(sandbox.deliveries().map((d) => d.statuses)).toEqual([[503], [500], [200]]);

      // an app that never answers: given up after MAX_DELIVERY_ATTEMPTS, still there for a flush
      receiver.bodies.length = 0;
      await sandbox.close();
      sandbox = await startGarminSandbox({
        clock,
        seed: 3,
        webhookUrl: 'http://127.0.0.1:9/hook',
        scheduler,
      });
      await requestBackfill(10);
      for (let i = 0; i < MAX_DELIVERY_ATTEMPTS; i++) expect(await scheduler.runDue()).toHaveLength(1);
      expect(await scheduler.runDue()).toEqual([]);
      expect(sandbox.pendingNotifications()).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('waits for a flush without a webhook URL or with deliverBackfills: manual; close cancels what is scheduled', async () => {
    const scheduler = new ManualScheduler();
    await sandbox.close();
    sandbox = await startGarminSandbox({ clock, seed: 3, scheduler });
    await requestBackfill(10);
    expect(scheduler.tasks).toHaveLength(0);
    expect(sandbox.pendingNotifications()).toBe(1);
    await sandbox.close();
    sandbox = await startGarminSandbox({
      clock,
      seed: 3,
      scheduler,
      webhookUrl: 'http://127.0.0.1:9/hook',
      deliverBackfills: 'manual',
    });
    await requestBackfill(10);
    expect(scheduler.tasks).toHaveLength(0);
    await sandbox.close();
    sandbox = await startGarminSandbox({ clock, seed: 3, scheduler, webhookUrl: 'http://127.0.0.1:9/hook' });
    await requestBackfill(10);
    expect(scheduler.tasks).toHaveLength(1);
    await sandbox.close();
    expect(scheduler.tasks[0]!.cancelled).toBe(true);
  });
});

describe('generated histories', () => {
  it('are deterministic from the seed', () => {
    const make = () =>
      new GeneratedHistory({ userId: 'u', idBase: 1e10, seed: 5, count: 200, endS: 1.8e9, days: 60 });
    const a = make();
    const b = make();
    for (const i of [0, 17, 20, 21, 22, 199]) expect(a.at(i)).toEqual(b.at(i));
    const other = new GeneratedHistory({
      userId: 'u',
      idBase: 1e10,
      seed: 6,
      count: 200,
      endS: 1.8e9,
      days: 60,
    });
    expect(other.at(17)).not.toEqual(a.at(17));
  });

  it('cover every sport type of vocabulary version 1, multisport and indoor activities without distance', () => {
    const h = new GeneratedHistory({ userId: 'u', idBase: 1e10, seed: 2, count: 80, endS: 1.8e9, days: 20 });
    const all = [...h.uploadedBetween(0, 2e9)].map((s) => s.summary);
    expect(all.filter((s) => !s.isParent)).toHaveLength(80);
    const sports = new Set(all.filter((s) => !s.isParent).map((s) => mapGarminSportType(s.activityType)));
    for (const t of SPORT_TYPE_DEFINITIONS.filter((d) => d.since === 1)) expect(sports.has(t.id)).toBe(true);
    const parents = all.filter((s) => s.isParent);
    expect(parents).toHaveLength(2);
    const legs = all.filter((s) => s.parentSummaryId === parents[0]!.summaryId);
    expect(legs.map((l) => l.activityType)).toEqual(['OPEN_WATER_SWIMMING', 'CYCLING', 'RUNNING']);
    const indoor = all.filter((s) => s.activityType === 'INDOOR_CYCLING');
    expect(indoor.length).toBeGreaterThan(0);
    for (const s of indoor) expect(s.distanceInMeters).toBeUndefined();
    for (const s of all) expect(s.startTimeInSeconds).toBeLessThan(1.8e9);
  });

  it('stream a 100,000-activity history: one window computes only its own slice', () => {
    const h = new GeneratedHistory({
      userId: 'u',
      idBase: 1e10,
      seed: 9,
      count: 100_000,
      endS: 1.8e9,
      days: 365,
    });
    const window = [...h.uploadedBetween(1.8e9 - 30 * DAY_S, 1.8e9 - 29 * DAY_S)];
    expect(window.length).toBeGreaterThan(200);
    expect(window.length).toBeLessThan(400);
    const last = h.at(99_999)[0]!.summary;
    expect(h.find(last.summaryId)?.summary).toEqual(last);
    const byStart = [...h.startedBetween(1.8e9 - 100 * DAY_S, 1.8e9 - 99 * DAY_S)];
    for (const s of byStart) {
      expect(s.summary.startTimeInSeconds).toBeGreaterThanOrEqual(1.8e9 - 100 * DAY_S);
      expect(s.summary.startTimeInSeconds).toBeLessThan(1.8e9 - 99 * DAY_S);
    }
  });
});

describe('CLI', () => {
  it('starts on the given port and prints the URL and the GARMIN_* variables', async () => {
    const lines: string[] = [];
    const started = await runSandboxCli(['--port', '0', '--activities', '5', '--seed', '4'], {
      log: (line) => lines.push(line),
    });
    try {
      const text = lines.join('\n');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
      expect(url).toBeTruthy();
      expect(text).toContain(`export GARMIN_API_URL=${url}/wellness-api/rest`);
      expect(text).toContain(`export GARMIN_AUTHORIZE_URL=${url}/oauth2Confirm`);
      expect(text).toContain(`export GARMIN_TOKEN_URL=${url}/di-oauth2-service/oauth/token`);
      expect(text).toContain('export GARMIN_CLIENT_ID=garmin-sandbox-client');
      const page = await fetch(
        `${url}/oauth2Confirm?response_type=code&client_id=garmin-sandbox-client&code_challenge=c&code_challenge_method=S256&redirect_uri=http://127.0.0.1/cb`,
      );
      expect(page.status).toBe(200);
    } finally {
      await started?.close();
    }
  });

  it('explains a bad option', async () => {
    await expect(runSandboxCli(['--mode', 'carrier-pigeon'], { log: () => {} })).rejects.toThrow(
      /--mode must be push or ping/,
    );
  });
});

describe('Activity Details (ADR 0033)', () => {
  it('a backfill of activityDetails is posted by itself as activityDetails pushes, one per non-manual activity', async () => {
    const receiver = await startReceiver();
    const scheduler = new ManualScheduler();
    await sandbox.close();
    sandbox = await startGarminSandbox({ clock, seed: 3, webhookUrl: receiver.url, scheduler });
    try {
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 12, days: 5 });
      const access = await userToken(providerUserId);
      const end = nowS();
      const query = `summaryStartTimeInSeconds=${end - 30 * DAY_S}&summaryEndTimeInSeconds=${end}`;
      expect((await api(`/backfill/activityDetails?${query}`, access)).status).toBe(202);
      expect((await api(`/backfill/activityDetails?${query}`, access)).status).toBe(409);
      // the same range of activity summaries is another request
      expect((await api(`/backfill/activities?${query}`, access)).status).toBe(202);
      await scheduler.runDue();
      const details = receiver.bodies.flatMap(
        (b) => (b as { activityDetails?: Array<Record<string, unknown>> }).activityDetails ?? [],
      );
      const summaries = sandbox
        .summariesStartedBetween(providerUserId, end - 30 * DAY_S, end)
        .filter((s) => !s.isParent && s.manual !== true);
      expect(summaries.length).toBeGreaterThan(5);
      expect(details.map((d) => d.summaryId).sort()).toEqual(
        summaries.map((s) => `${s.summaryId}-detail`).sort(),
      );
      for (const d of details) {
        const samples = d.samples as Array<{ startTimeInSeconds: number; heartRate?: number }>;
        const summary = d.summary as { startTimeInSeconds: number; durationInSeconds: number };
        // about one sample a second, less the pause and the gaps
        expect(samples.length).toBeGreaterThan(summary.durationInSeconds * 0.7);
        expect(samples.length).toBeLessThanOrEqual(summary.durationInSeconds + 1);
        expect(samples[0]!.startTimeInSeconds).toBe(summary.startTimeInSeconds);
        expect(d.userAccessToken).toBeDefined();
      }
      expect(
        sandbox
          .deliveries()
          .map((x) => x.summaryType)
          .sort(),
      ).toEqual(['activities', 'activityDetails']);
    } finally {
      await receiver.close();
    }
  });

  it('serves details on the pull and on a ping callback; a callback of another summary type is refused', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 0 });
    const summaryId = await sandbox.addActivity(providerUserId, {
      fields: { activityType: 'LAP_SWIMMING', manual: false, durationInSeconds: 1800 },
    });
    const access = await userToken(providerUserId);
    const pulled = await api(
      `/activityDetails?uploadStartTimeInSeconds=${nowS() - 60}&uploadEndTimeInSeconds=${nowS() + 1}`,
      access,
    );
    expect(pulled.status).toBe(200);
    const [detail] = pulled.body as Array<{ summaryId: string; samples: Array<Record<string, number>> }>;
    expect(detail!.summaryId).toBe(`${summaryId}-detail`);
    // a pool swim: no position, no heart rate, no moving time (not supported in a pool)
    for (const field of ['latitudeInDegree', 'heartRate', 'movingDurationInSeconds'])
      expect(detail!.samples.some((s) => field in s)).toBe(false);

    const ping = await sandbox.webhookRequest(
      { type: 'activity.details', providerUserId, providerActivityId: summaryId },
      { mode: 'ping' },
    );
    const { activityDetails } = (await ping!.json()) as { activityDetails: Array<{ callbackURL: string }> };
    const callback = new URL(activityDetails[0]!.callbackURL);
    expect(callback.pathname).toBe('/wellness-api/rest/activityDetails');
    const fetched = await api(`/activityDetails${callback.search}`, access);
    expect(fetched.body).toEqual(pulled.body);
    expect((await api(`/activities${callback.search}`, access)).status).toBe(400);
  });
});
