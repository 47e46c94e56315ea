import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '@trainlytics/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UNSAFE_ID_BASE } from '../src/sandbox/generate-history';
import { runSandboxCli, type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { parseStravaJson } from '../src/strava-api';
import { STRAVA_SPORT_TYPE_NAMES } from '../src/strava-sport-types';

const redirectUri = 'http://127.0.0.1:9/callback';
let sandbox: StravaSandbox;
let athleteId: string;

beforeAll(async () => {
  sandbox = await startStravaSandbox();
  ({ providerUserId: athleteId } = await sandbox.seedAthlete({ activityCount: 120, seed: 7 }));
});
afterAll(() => sandbox.close());
afterEach(() => sandbox.resetFaults());

function authorizeUrl(scope = 'read,activity:read_all', state = 'xyz') {
  const url = new URL(sandbox.authorizeUrl);
  url.search = new URLSearchParams({
    client_id: sandbox.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    approval_prompt: 'auto',
    scope,
    state,
  }).toString();
  return url.toString();
}

async function token(form: Record<string, string>) {
  const res = await fetch(sandbox.tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({ client_id: sandbox.clientId, client_secret: sandbox.clientSecret, ...form }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function connect(scope = 'read,activity:read_all', who = athleteId) {
  const callback = await sandbox.approve(authorizeUrl(scope), { providerUserId: who });
  const { body } = await token({
    code: callback.searchParams.get('code')!,
    grant_type: 'authorization_code',
  });
  return { access: String(body.access_token), refresh: String(body.refresh_token), body };
}

const api = (path: string, accessToken: string) =>
  fetch(`${sandbox.apiUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });

describe('consent page and code exchange', () => {
  it('serves an HTML form a browser can submit', async () => {
    const res = await fetch(authorizeUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/oauth/authorize">');
    expect(html).toContain('value="approve"');
    expect(html).toContain('value="deny"');
    expect(html).toContain(`value="${athleteId}"`);
    expect(html).toContain('name="state" value="xyz"');
  });

  it('refuses an unknown client id', async () => {
    const url = authorizeUrl().replace(`client_id=${sandbox.clientId}`, 'client_id=999');
    expect((await fetch(url)).status).toBe(400);
  });

  it('redirects with code, granted scope and state; denial sends error=access_denied', async () => {
    const approved = await sandbox.approve(authorizeUrl(), { providerUserId: athleteId });
    expect(approved.origin + approved.pathname).toBe(redirectUri);
    expect(approved.searchParams.get('state')).toBe('xyz');
    expect(approved.searchParams.get('scope')).toBe('read,activity:read_all');
    expect(approved.searchParams.get('code')).toMatch(/^[0-9a-f]{40}$/);

    const unticked = await sandbox.approve(authorizeUrl(), { providerUserId: athleteId, scopes: ['read'] });
    expect(unticked.searchParams.get('scope')).toBe('read');

    const denied = await sandbox.approve(authorizeUrl(), { providerUserId: athleteId, deny: true });
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('xyz');
    expect(denied.searchParams.has('code')).toBe(false);
  });

  it('exchanges a code once, with the athlete and a 6-hour token', async () => {
    const callback = await sandbox.approve(authorizeUrl(), { providerUserId: athleteId });
    const code = callback.searchParams.get('code')!;
    const first = await token({ code, grant_type: 'authorization_code' });
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe('Bearer');
    expect(first.body.expires_in).toBe(21600);
    expect((first.body.athlete as { id: number }).id).toBe(Number(athleteId));
    const again = await token({ code, grant_type: 'authorization_code' });
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body)).toContain('AuthorizationCode');
  });

  it('refuses a wrong client secret', async () => {
    const res = await fetch(sandbox.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        client_id: sandbox.clientId,
        client_secret: 'wrong',
        grant_type: 'refresh_token',
      }),
    });
    expect(res.status).toBe(400);
  });
});

describe('refresh with rotation and expiry', () => {
  it('returns the same access token while it has over an hour left, and rotates the refresh token', async () => {
    const { access, refresh } = await connect();
    const first = await token({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(first.status).toBe(200);
    expect(first.body.access_token).toBe(access);
    expect(first.body.refresh_token).not.toBe(refresh);
    expect(sandbox.currentRefreshToken(athleteId)).toBe(first.body.refresh_token);
    const old = await token({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(old.status).toBe(400);
    expect(JSON.stringify(old.body)).toContain('RefreshToken');
  });

  it('expires access tokens after 6 hours of sandbox time; a refresh issues a new one', async () => {
    const { access, refresh } = await connect();
    expect((await api('/athlete', access)).status).toBe(200);
    sandbox.advanceTime(6 * 3600_000 + 1000);
    const expired = await api('/athlete', access);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: 'Authorization Error' });
    const renewed = await token({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(renewed.body.access_token).not.toBe(access);
    expect((await api('/athlete', String(renewed.body.access_token))).status).toBe(200);
  });

  it('rejects every refresh under the rejectRefresh fault', async () => {
    const { refresh } = await connect();
    sandbox.setFaults({ rejectRefresh: true });
    expect((await token({ grant_type: 'refresh_token', refresh_token: refresh })).status).toBe(400);
  });

  it('deauthorize revokes every token of the athlete', async () => {
    const { access, refresh } = await connect();
    const res = await fetch(`${sandbox.baseUrl}/oauth/deauthorize`, {
      method: 'POST',
      body: new URLSearchParams({ access_token: access }),
    });
    expect(res.status).toBe(200);
    expect((await api('/athlete', access)).status).toBe(401);
    expect((await token({ grant_type: 'refresh_token', refresh_token: refresh })).status).toBe(400);
  });
});

describe('activities', () => {
  it('lists newest first, 30 by default and at most 200 per page, with rate-limit headers', async () => {
    const { access } = await connect();
    const res = await api('/athlete/activities', access);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+,\d+$/);
    expect(res.headers.get('x-ratelimit-usage')).toMatch(/^\d+,\d+$/);
    expect(res.headers.get('x-readratelimit-usage')).toMatch(/^\d+,\d+$/);
    const items = parseStravaJson(await res.text()) as Array<{ id: string; start_date: string }>;
    expect(items).toHaveLength(30);
    const starts = items.map((a) => Date.parse(a.start_date));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    const big = (await (await api('/athlete/activities?per_page=500', access)).json()) as unknown[];
    expect(big).toHaveLength(120);
  });

  it('emits an id beyond 2^53 as a JSON number, exact in the raw text', async () => {
    const { access } = await connect();
    const text = await (await api('/athlete/activities?per_page=1', access)).text();
    const newestId = String(UNSAFE_ID_BASE + 1n);
    expect(text).toContain(`"id":${newestId}`);
    expect(text).toContain(`"map":{"id":"a${newestId}"`);
    expect(Number.isSafeInteger(Number(newestId))).toBe(false);
    expect((parseStravaJson(text) as Array<{ id: string }>)[0]?.id).toBe(newestId);
  });

  it('applies before/after (exclusive) and page', async () => {
    const { access } = await connect();
    const all = parseStravaJson(
      await (await api('/athlete/activities?per_page=200', access)).text(),
    ) as Array<{ id: string; start_date: string }>;
    const secs = (a: { start_date: string }) => Date.parse(a.start_date) / 1000;
    const pivot = all[50]!;
    const before = parseStravaJson(
      await (await api(`/athlete/activities?per_page=200&before=${secs(pivot)}`, access)).text(),
    ) as Array<{ id: string }>;
    expect(before.map((a) => a.id)).toEqual(all.slice(51).map((a) => a.id));
    const after = parseStravaJson(
      await (await api(`/athlete/activities?per_page=200&after=${secs(pivot)}`, access)).text(),
    ) as Array<{ id: string }>;
    expect(after.map((a) => a.id)).toEqual(all.slice(0, 50).map((a) => a.id));
    const page2 = parseStravaJson(
      await (await api('/athlete/activities?per_page=40&page=2', access)).text(),
    ) as Array<{ id: string }>;
    expect(page2.map((a) => a.id)).toEqual(all.slice(40, 80).map((a) => a.id));
    const beyond = await (await api('/athlete/activities?per_page=40&page=4', access)).json();
    expect(beyond).toEqual([]);
  });

  it('hides private activities from a token without activity:read_all, and refuses one without activity:read', async () => {
    const readAll = await connect('read,activity:read_all');
    const readOnly = await connect('read,activity:read');
    const count = async (access: string) =>
      ((await (await api('/athlete/activities?per_page=200', access)).json()) as unknown[]).length;
    expect(await count(readAll.access)).toBe(120);
    expect(await count(readOnly.access)).toBeLessThan(120);
    const none = await connect('read');
    expect((await api('/athlete/activities', none.access)).status).toBe(401);
  });

  it('filters after paging: a page made short by hidden activities is followed by more, in either order', async () => {
    const { access } = await connect('read,activity:read_all');
    const all = sandbox.activityIds(athleteId);
    const hidden = new Set(all.slice(0, 30)); // the 30 newest, then every tenth
    for (let k = 30; k < all.length; k += 10) hidden.add(all[k]!);
    sandbox.setHideFromList((a) => hidden.has(a.id));
    try {
      const list = async (query: string) =>
        (
          (await (await api(`/athlete/activities?per_page=40&${query}`, access)).json()) as Array<{
            id: string;
          }>
        ).map((a) => String(a.id));
      const pages = [await list('page=1'), await list('page=2'), await list('page=3'), await list('page=4')];
      expect(pages.map((p) => p.length)).toEqual([9, 36, 36, 0]);
      expect(pages.flat()).toEqual(all.filter((id) => !hidden.has(id)));
      expect(sandbox.listedActivityIds(athleteId)).toEqual(pages.flat());
      // oldest first (`after` alone), the short page comes last but one
      const ascending = await startStravaSandbox({ ascendingWithAfter: true });
      try {
        const { providerUserId } = await ascending.seedAthlete({
          activityCount: 6,
          startSeconds: [1, 2, 3, 4, 5, 6],
        });
        const ids = ascending.activityIds(providerUserId);
        ascending.setHideFromList((a) => a.id === ids[4] || a.id === ids[3]); // the 2nd and 3rd oldest
        const callback = await ascending.approve(
          `${ascending.authorizeUrl}?${new URLSearchParams({
            client_id: ascending.clientId,
            redirect_uri: redirectUri,
            response_type: 'code',
            scope: 'read,activity:read_all',
          })}`,
          { providerUserId },
        );
        const exchanged = await fetch(ascending.tokenUrl, {
          method: 'POST',
          body: new URLSearchParams({
            client_id: ascending.clientId,
            client_secret: ascending.clientSecret,
            code: callback.searchParams.get('code')!,
            grant_type: 'authorization_code',
          }),
        });
        const own = String(((await exchanged.json()) as { access_token: string }).access_token);
        const page = async (n: number) =>
          (
            (await (
              await fetch(`${ascending.apiUrl}/athlete/activities?after=0&per_page=3&page=${n}`, {
                headers: { authorization: `Bearer ${own}` },
              })
            ).json()) as Array<{ id: unknown }>
          ).map((a) => String(a.id));
        expect([await page(1), await page(2), await page(3)]).toEqual([
          [ids[5]],
          [ids[2], ids[1], ids[0]],
          [],
        ]);
      } finally {
        await ascending.close();
      }
    } finally {
      sandbox.setHideFromList(null);
    }
  });

  it('covers every sport type, deterministically from the seed', async () => {
    const other = await startStravaSandbox();
    try {
      const { providerUserId } = await other.seedAthlete({ activityCount: 120, seed: 7 });
      const { access } = await connect();
      const mine = (await (await api('/athlete/activities?per_page=200', access)).json()) as Array<
        Record<string, unknown>
      >;
      const theirs = other.activityIds(providerUserId);
      expect(theirs).toHaveLength(120);
      expect(new Set(mine.map((a) => a.sport_type))).toEqual(new Set(STRAVA_SPORT_TYPE_NAMES));
      // the same seed generates the same names, sports and metrics
      const again = other.getActivity(providerUserId, theirs[3]!);
      const here = mine[3]!;
      expect(again?.sport_type).toBe(here.sport_type);
      expect(again?.distance).toBe(here.distance);
      expect(again?.name).toBe(here.name);
      // heart rate fields are absent (not null) when the activity has none
      const noHr = mine.find((a) => a.has_heartrate === false)!;
      expect('average_heartrate' in noHr).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('streams a 100,000-activity history: pages from anywhere without materializing it', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 100_000, seed: 3 });
    expect(await sandbox.activityCount(providerUserId)).toBe(100_000);
    const { access } = await connect('read,activity:read_all', providerUserId);
    const newest = (await (await api('/athlete/activities?per_page=1', access)).json()) as Array<{
      start_date: string;
    }>;
    const middle = Date.parse(newest[0]!.start_date) / 1000 - 5 * 365 * 86400;
    const page = (await (
      await api(`/athlete/activities?per_page=200&before=${middle}`, access)
    ).json()) as Array<{
      start_date: string;
    }>;
    expect(page).toHaveLength(200);
    expect(Date.parse(page[0]!.start_date) / 1000).toBeLessThan(middle);
  });

  it('serves a DetailedActivity by id, 404 for unknown or deleted ones', async () => {
    const { access } = await connect();
    const [id] = sandbox.activityIds(athleteId, { limit: 3 }).slice(2);
    const res = await api(`/activities/${id}`, access);
    const detailed = parseStravaJson(await res.text()) as Record<string, unknown>;
    expect(String(detailed.id)).toBe(id);
    expect(detailed.resource_state).toBe(3);
    expect('calories' in detailed).toBe(true);
    expect((await api('/activities/1', access)).status).toBe(404);
    const [added] = await sandbox.addActivities(athleteId, 1);
    expect((await api(`/activities/${added}`, access)).status).toBe(200);
    await sandbox.deleteActivity(athleteId, added!);
    expect((await api(`/activities/${added}`, access)).status).toBe(404);
  });
});

describe('rate limit and faults', () => {
  it('answers 429 over the app-wide limit until the window resets', async () => {
    // on a clock that starts mid-window: on the system clock a minute boundary between two calls reset the count
    const clock = new FakeClock('2026-03-04T10:00:20Z');
    const limited = await startStravaSandbox({ clock, rateLimit: { limit: 3, windowMs: 60_000 } });
    try {
      const { providerUserId } = await limited.seedAthlete({ activityCount: 2 });
      const callback = await limited.approve(
        `${limited.authorizeUrl}?client_id=${limited.clientId}&redirect_uri=${redirectUri}&response_type=code&scope=read,activity:read`,
        { providerUserId },
      );
      const tokenRes = await fetch(limited.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: limited.clientId,
          client_secret: limited.clientSecret,
          code: callback.searchParams.get('code')!,
          grant_type: 'authorization_code',
        }),
      });
      const { access_token } = (await tokenRes.json()) as { access_token: string };
      const call = () =>
        fetch(`${limited.apiUrl}/athlete`, { headers: { authorization: `Bearer ${access_token}` } });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call()).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const over = await call();
      expect(over.headers.get('x-ratelimit-usage')).toMatch(/^5,5$/);
      expect(await over.json()).toMatchObject({ message: 'Rate Limit Exceeded' });
      limited.advanceTime(60_000);
      expect((await call()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('applies the fault knobs to the next API requests, then clears them', async () => {
    const { access } = await connect();
    sandbox.setFaults({ status: { code: 503, times: 2 } });
    expect((await api('/athlete', access)).status).toBe(503);
    expect((await api('/athlete', access)).status).toBe(503);
    expect((await api('/athlete', access)).status).toBe(200);

    sandbox.setFaults({ invalidJson: 1 });
    await expect((await api('/athlete', access)).json()).rejects.toThrow();

    sandbox.setFaults({ connectionResets: 1 });
    await expect(api('/athlete', access)).rejects.toThrow();
    expect((await api('/athlete', access)).status).toBe(200);

    sandbox.setFaults({ malformedItems: 2 });
    const items = (await (await api('/athlete/activities?per_page=5', access)).json()) as Array<
      Record<string, unknown>
    >;
    expect(items.filter((a) => typeof a.start_date !== 'string')).toHaveLength(2);
    const clean = (await (await api('/athlete/activities?per_page=5', access)).json()) as Array<
      Record<string, unknown>
    >;
    expect(clean.every((a) => typeof a.start_date === 'string')).toBe(true);

    sandbox.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 30 } });
    const limited = await api('/athlete', access);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
  });

  it('counts requests by path and method', async () => {
    const { access } = await connect();
    sandbox.resetCounters();
    await api('/athlete', access);
    await api('/athlete/activities', access);
    expect(sandbox.requestCount()).toBe(2);
    expect(sandbox.requestCount({ pathPrefix: '/athlete/activities' })).toBe(1);
    expect(sandbox.requestCount({ pathPrefix: '/api/v3/athlete' })).toBe(2);
    expect(sandbox.requestCount({ method: 'POST' })).toBe(0);
  });
});

describe('webhooks and push subscriptions', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ method: string; url: string; body: string }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', body });
        const url = new URL(req.url ?? '/', 'http://x');
        if (req.method === 'GET' && url.searchParams.get('hub.verify_token') === 'letmein') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ 'hub.challenge': url.searchParams.get('hub.challenge') }));
          return;
        }
        res.writeHead(req.method === 'GET' ? 403 : 200);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/strava`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  const credentials = () => `client_id=${sandbox.clientId}&client_secret=${sandbox.clientSecret}`;

  it('creates a subscription only after the callback answers the challenge; one per app', async () => {
    const create = (verifyToken: string) =>
      fetch(`${sandbox.apiUrl}/push_subscriptions`, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: sandbox.clientId,
          client_secret: sandbox.clientSecret,
          callback_url: receiverUrl,
          verify_token: verifyToken,
        }),
      });
    const refused = await create('wrong');
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain('callback url');
    const created = await create('letmein');
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: sandbox.subscriptionId });
    expect((await create('letmein')).status).toBe(400);
    const list = (await (
      await fetch(`${sandbox.apiUrl}/push_subscriptions?${credentials()}`)
    ).json()) as Array<Record<string, unknown>>;
    expect(list).toEqual([
      expect.objectContaining({ id: sandbox.subscriptionId, callback_url: receiverUrl }),
    ]);
  });

  it('sends events to a URL as Strava does', async () => {
    const answer = await sandbox.sendWebhook(
      {
        type: 'activity.created',
        providerUserId: athleteId,
        providerActivityId: String(UNSAFE_ID_BASE + 1n),
      },
      receiverUrl,
    );
    expect(answer?.status).toBe(200);
    const delivery = received.at(-1)!;
    expect(delivery.method).toBe('POST');
    expect(delivery.body).toContain(`"object_id":${UNSAFE_ID_BASE + 1n}`);
    expect(parseStravaJson(delivery.body)).toMatchObject({
      aspect_type: 'create',
      object_type: 'activity',
      owner_id: Number(athleteId),
      subscription_id: sandbox.subscriptionId,
    });
    const deauth = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId: athleteId });
    expect(await deauth.json()).toMatchObject({ object_type: 'athlete', updates: { authorized: 'false' } });
  });

  it('deletes the subscription', async () => {
    const res = await fetch(
      `${sandbox.apiUrl}/push_subscriptions/${sandbox.subscriptionId}?${credentials()}`,
      {
        method: 'DELETE',
      },
    );
    expect(res.status).toBe(204);
    const list = await (await fetch(`${sandbox.apiUrl}/push_subscriptions?${credentials()}`)).json();
    expect(list).toEqual([]);
  });
});

describe('runSandboxCli', () => {
  it('starts a seeded sandbox and prints its URL and the env vars', async () => {
    const lines: string[] = [];
    const cli = await runSandboxCli(['strava', '--port', '0', '--athletes', '1', '--activities', '5'], {
      out: (line) => lines.push(line),
      handleSignals: false,
    });
    try {
      expect(cli).not.toBeNull();
      const output = lines.join('\n');
      expect(output).toContain(`Strava sandbox listening on ${cli!.baseUrl}`);
      expect(output).toContain(`export STRAVA_API_URL=${cli!.baseUrl}/api/v3`);
      expect(output).toContain(`export STRAVA_TOKEN_URL=${cli!.baseUrl}/oauth/token`);
      const info = (await (await fetch(cli!.baseUrl)).json()) as Record<string, string>;
      expect(info.STRAVA_AUTHORIZE_URL).toBe(`${cli!.baseUrl}/oauth/authorize`);
    } finally {
      await cli?.close();
    }
  });

  it('takes the overall and the read (non-upload) limits, reported on every answer', async () => {
    const cli = await runSandboxCli(
      [
        '--port',
        '0',
        '--athletes',
        '0',
        '--daily-limit',
        '2000',
        '--read-limit',
        '100',
        '--read-daily-limit',
        '1000',
      ],
      { out: () => {}, handleSignals: false },
    );
    try {
      const answer = await fetch(`${cli!.baseUrl}/api/v3/athlete`); // no token: 401, still counted
      expect(answer.status).toBe(401);
      expect(answer.headers.get('x-ratelimit-limit')).toBe('1000,2000');
      expect(answer.headers.get('x-readratelimit-limit')).toBe('100,1000');
      expect(answer.headers.get('x-readratelimit-usage')).toBe('1,1');
    } finally {
      await cli?.close();
    }
    await expect(runSandboxCli(['--read-limit', '-1'], { out: () => {} })).rejects.toThrow(/--read-limit/);
  });

  it('refuses another provider name and bad numbers', async () => {
    await expect(runSandboxCli(['garmin'], { out: () => {} })).rejects.toThrow(/Unknown provider "garmin"/);
    await expect(runSandboxCli(['--port', 'x'], { out: () => {} })).rejects.toThrow(/--port/);
  });
});
