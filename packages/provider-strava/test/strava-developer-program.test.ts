import {
  AppSuspendedError,
  ConnectionLimitError,
  ProviderApiError,
  ReauthorizationRequiredError,
} from '@trainlytics/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxCli, type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { describeStravaError } from '../src/strava-error';
import { strava } from '../src/strava-provider';
import { STRAVA_API_URL, STRAVA_API_V3_URL } from '../src/strava-settings';
import { stravaPushSubscriptions } from '../src/strava-webhooks';
import { collectPages, connectAthlete, createContext, redirectUri } from './harness';

/**
 * Strava's 2026 developer program (providers.md §1.6): the RFC 7009 revoke endpoint, tokens only in headers,
 * the new API base on its own origin, inactive apps and the athlete cap — each a sandbox switch.
 */

const conn = { id: 1, userId: 1, providerUserId: '1', scopes: ['activity:read'], profile: {} };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('POST /oauth/revoke (RFC 7009) replaces /oauth/deauthorize', () => {
  let sandbox: StravaSandbox;
  beforeAll(async () => {
    sandbox = await startStravaSandbox({ program: { retireDeauthorize: true } });
  });
  afterAll(() => sandbox.close());

  async function tokensFor() {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    const plugin = strava(sandbox.providerOptions());
    const { tokens, ctx } = await connectAthlete(sandbox, plugin, providerUserId);
    return { plugin, ctx, access: tokens.current.accessToken, refresh: tokens.current.refreshToken! };
  }
  const revoke = (body: URLSearchParams | string, headers: Record<string, string> = {}, query = '') =>
    fetch(`${sandbox.revokeUrl}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: body.toString(),
    });
  const works = async (access: string, refresh: string) => ({
    access: (await fetch(`${sandbox.apiUrl}/athlete`, { headers: { authorization: `Bearer ${access}` } }))
      .status,
    refresh: (
      await fetch(sandbox.tokenUrl, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: sandbox.clientId,
          client_secret: sandbox.clientSecret,
          grant_type: 'refresh_token',
          refresh_token: refresh,
        }),
      })
    ).status,
  });

  it('the retired /oauth/deauthorize answers 404 with the switch on', async () => {
    const { access } = await tokensFor();
    const res = await fetch(`${sandbox.baseUrl}/oauth/deauthorize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access}` },
    });
    expect(res.status).toBe(404);
  });

  it('disconnect revokes through /oauth/revoke: Basic client auth, the token in the form, both tokens dead', async () => {
    const { plugin, ctx, access, refresh } = await tokensFor();
    sandbox.resetCounters();
    await plugin.oauth.revoke!(ctx);
    const [call] = sandbox.requestLog();
    expect(call).toMatchObject({ method: 'POST', path: '/oauth/revoke', authorization: 'basic' });
    expect(Object.fromEntries(new URLSearchParams(call!.body))).toEqual({
      token_type_hint: 'access_token',
      token: access,
    });
    expect(call!.url).toBe('/oauth/revoke');
    expect(await works(access, refresh)).toEqual({ access: 401, refresh: 400 });
  });

  it('revoking either token revokes the other; a hint of either kind (or none) changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('access', 'refresh'),
        fc.constantFrom(undefined, 'access_token', 'refresh_token', 'bogus'),
        async (which, hint) => {
          const { access, refresh } = await tokensFor();
          const form = new URLSearchParams({ token: which === 'access' ? access : refresh });
          if (hint) form.set('token_type_hint', hint);
          const res = await revoke(form, { authorization: basic(sandbox.clientId, sandbox.clientSecret) });
          expect(res.status).toBe(200);
          expect(await works(access, refresh)).toEqual({ access: 401, refresh: 400 });
        },
      ),
      { numRuns: 12 },
    );
  });

  it('authenticates the app with HTTP Basic and wants the token in the body', async () => {
    const { access, refresh } = await tokensFor();
    const form = new URLSearchParams({ token: access });
    // credentials in the form instead of Basic, a wrong secret, no auth at all: refused
    const inForm = new URLSearchParams({
      token: access,
      client_id: sandbox.clientId,
      client_secret: sandbox.clientSecret,
    });
    expect((await revoke(inForm)).status).toBe(401);
    expect((await revoke(form, { authorization: basic(sandbox.clientId, 'wrong') })).status).toBe(401);
    const good = { authorization: basic(sandbox.clientId, sandbox.clientSecret) };
    expect((await revoke('', good, `?token=${access}`)).status).toBe(400);
    expect((await revoke('', good)).status).toBe(400);
    expect(await works(access, refresh)).toEqual({ access: 200, refresh: 200 });
    // RFC 7009: an unknown or already revoked token is a 200 too
    expect((await revoke(new URLSearchParams({ token: 'no-such-token' }), good)).status).toBe(200);
  });
});

describe('access tokens only in headers (from 2027-06-01)', () => {
  let sandbox: StravaSandbox;
  let callback: ReturnType<typeof import('node:http').createServer>;
  let callbackUrl: string;
  beforeAll(async () => {
    sandbox = await startStravaSandbox({ program: { headerTokensOnly: true } });
    const { createServer } = await import('node:http');
    callback = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ 'hub.challenge': url.searchParams.get('hub.challenge') }));
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    const address = callback.address() as { port: number };
    callbackUrl = `http://127.0.0.1:${address.port}/webhooks/strava`;
  });
  afterAll(async () => {
    await sandbox.close();
    await new Promise((resolve) => callback.close(resolve));
  });

  it('the switch refuses a token sent as a parameter (what a leaking plugin would meet)', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    const { tokens } = await connectAthlete(sandbox, strava(sandbox.providerOptions()), providerUserId);
    const access = tokens.current.accessToken;
    expect((await fetch(`${sandbox.apiUrl}/athlete?access_token=${access}`)).status).toBe(401);
    const header = await fetch(`${sandbox.apiUrl}/athlete`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(header.status).toBe(200);
    const deauth = await fetch(`${sandbox.baseUrl}/oauth/deauthorize`, {
      method: 'POST',
      body: new URLSearchParams({ access_token: access }),
    });
    expect(deauth.status).toBe(401);
    expect(sandbox.tokenLeaks().length).toBeGreaterThanOrEqual(2);
  });

  it('every call of the plugin (OAuth, API, webhook subscription, revoke) keeps access tokens in headers', async () => {
    sandbox.resetCounters();
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 7 });
    const [activityId] = sandbox.activityIds(providerUserId, { limit: 1 });
    const plugin = strava(sandbox.providerOptions());
    const { ctx, tokens, result } = await connectAthlete(sandbox, plugin, providerUserId);
    await plugin.fetchProfile(ctx);
    await collectPages(plugin, ctx, { cursor: null, full: true });
    await plugin.fetchChanged!(ctx, activityId!);
    await sandbox.expireAccessTokens(providerUserId);
    await plugin.fetchProfile(ctx); // 401 → refresh grant → retry
    expect(tokens.current.accessToken).not.toBe(result.tokens.accessToken);
    expect(await plugin.webhooks!.confirmDeauthorization!(ctx)).toBeDefined();
    const subscriptions = stravaPushSubscriptions(sandbox.providerOptions());
    const { id } = await subscriptions.create({ callbackUrl, verifyToken: sandbox.verifyToken });
    expect(await subscriptions.list()).toHaveLength(1);
    await subscriptions.delete(id);
    await plugin.oauth.revoke!(ctx);

    const log = sandbox.requestLog();
    const reads = log.filter((r) => /\/athlete|\/activities\//.test(r.path));
    expect(reads.length).toBeGreaterThanOrEqual(5);
    expect(reads.every((r) => r.authorization === 'bearer')).toBe(true);
    expect(log.some((r) => r.path === '/oauth/revoke')).toBe(true);
    expect(log.some((r) => r.path.endsWith('/push_subscriptions') && r.method === 'POST')).toBe(true);
    expect(sandbox.tokenLeaks()).toEqual([]);
    // the only token-bearing bodies: the refresh grant's refresh_token and revoke's token
    for (const r of log) {
      const keys = [...new URLSearchParams(r.body).keys()].filter((k) =>
        ['access_token', 'refresh_token', 'token'].includes(k),
      );
      if (r.path === '/oauth/revoke') expect(keys).toEqual(['token']);
      else if (r.path === '/oauth/token') expect(['refresh_token']).toEqual(expect.arrayContaining(keys));
      else expect(keys).toEqual([]);
    }
  });
});

describe("the new API base (api-v3.strava.com, no /api/v3) on its own origin, OAuth on www's", () => {
  let sandbox: StravaSandbox;
  beforeAll(async () => {
    sandbox = await startStravaSandbox({ apiBase: 'api-v3', program: { retireDeauthorize: true } });
  });
  afterAll(() => sandbox.close());

  it('serves the API at the root of the second origin and only OAuth on the first', async () => {
    expect(new URL(sandbox.apiUrl).origin).not.toBe(new URL(sandbox.tokenUrl).origin);
    expect(new URL(sandbox.apiUrl).pathname).toBe('/');
    expect((await fetch(`${sandbox.baseUrl}/api/v3/athlete`)).status).toBe(404);
    expect((await fetch(`${sandbox.apiUrl}/oauth/token`, { method: 'POST' })).status).toBe(401);
  });

  it('the plugin connects, lists, reads and revokes with each call on its host', async () => {
    sandbox.resetCounters();
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 12 });
    const plugin = strava({ ...sandbox.providerOptions(), pageSize: 5 });
    const { ctx } = await connectAthlete(sandbox, plugin, providerUserId);
    expect((await plugin.fetchProfile(ctx)).providerUserId).toBe(providerUserId);
    const pages = await collectPages(plugin, ctx, { cursor: null, full: true });
    expect(pages.flatMap((p) => p.activities)).toHaveLength(12);
    await plugin.oauth.revoke!(ctx);
    const log = sandbox.requestLog();
    const byOrigin = (origin: string) => [
      ...new Set(log.filter((r) => r.origin === origin).map((r) => r.path)),
    ];
    expect(byOrigin('oauth').sort()).toEqual(['/oauth/authorize', '/oauth/revoke', '/oauth/token']);
    expect(byOrigin('api').sort()).toEqual(['/athlete', '/athlete/activities']);
  });

  it('is one setting away: STRAVA_API_URL, while OAuth stays on www.strava.com', () => {
    const defaults = strava({ clientId: '1', env: {} });
    expect(defaults.oauth.authorizationUrl({ state: 's', redirectUri, scopes: ['read'] }).origin).toBe(
      'https://www.strava.com',
    );
    expect(STRAVA_API_URL).toBe('https://www.strava.com/api/v3');
    expect(STRAVA_API_V3_URL).toBe('https://api-v3.strava.com');
    const seen: string[] = [];
    const recording = strava({
      clientId: '1',
      clientSecret: '2',
      env: { STRAVA_API_URL: STRAVA_API_V3_URL },
      fetch: async (input) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return new Response('[]', { headers: { 'content-type': 'application/json' } });
      },
    });
    const { ctx } = createContext(recording, {
      tokens: { current: { accessToken: 'a', refreshToken: 'r', expiresAt: null, scopes: [] } },
      fetch: recording.fetch!,
    });
    return collectPages(recording, { ...ctx, connection: conn }, { cursor: null, full: true }).then(() => {
      expect(seen[0]).toMatch(/^https:\/\/api-v3\.strava\.com\/athlete\/activities\?/);
    });
  });
});

describe('an inactive app (Standard tier without a subscription)', () => {
  let sandbox: StravaSandbox;
  beforeAll(async () => {
    sandbox = await startStravaSandbox();
  });
  afterAll(() => sandbox.close());
  afterEach(() => sandbox.setProgram({ appInactive: false }));

  it('every call answers 403 Application Status Inactive, read as the app-level AppSuspendedError', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
    const plugin = strava(sandbox.providerOptions());
    const { ctx, result } = await connectAthlete(sandbox, plugin, providerUserId);
    sandbox.setProgram({ appInactive: true });
    const res = await fetch(`${sandbox.apiUrl}/athlete`, {
      headers: { authorization: `Bearer ${result.tokens.accessToken}` },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      message: 'Forbidden',
      errors: [{ resource: 'Application', field: 'Status', code: 'Inactive' }],
    });
    for (const call of [
      () => plugin.fetchProfile(ctx),
      () => collectPages(plugin, ctx, { cursor: null, full: false }),
      () => plugin.oauth.refresh!({ refreshToken: result.tokens.refreshToken! }, createContext(plugin).ctx),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(AppSuspendedError.isInstance(error)).toBe(true);
      const suspended = error as AppSuspendedError;
      expect(suspended).toMatchObject({ provider: 'strava', status: 403, reason: 'inactive' });
      expect(suspended.hint).toMatch(/reactivate the app at https:\/\/www\.strava\.com\/settings\/api/);
      expect(ReauthorizationRequiredError.isInstance(error)).toBe(false);
    }
    sandbox.setProgram({ appInactive: false });
    expect((await plugin.fetchProfile(ctx)).providerUserId).toBe(providerUserId);
  });

  it('describeError tells the inactive app and the athlete cap from other 403s, whatever the operation', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (operation) => {
        const op = operation === undefined ? {} : { operation };
        const inactive = describeStravaError({
          status: 403,
          body: '{"message":"Forbidden","errors":[{"resource":"Application","field":"Status","code":"Inactive"}]}',
          ...op,
        });
        expect(inactive?.condition).toBe('app-suspended');
        const cap = describeStravaError({
          status: 403,
          body: '{"message":"Limit of connected athletes exceeded","errors":[]}',
          ...op,
        });
        expect(cap?.condition).toBe('connection-limit');
        const scope = describeStravaError({
          status: 403,
          body: '{"message":"Forbidden","errors":[{"resource":"Activity","field":"","code":"forbidden"}]}',
          ...op,
        });
        expect(scope?.condition).toBeUndefined();
      }),
    );
  });
});

describe('the athlete cap', () => {
  let sandbox: StravaSandbox;
  beforeAll(async () => {
    sandbox = await startStravaSandbox({ program: { athleteCap: 2 } });
  });
  afterAll(() => sandbox.close());

  it("refuses one athlete more on Strava's page, and at the code exchange with ConnectionLimitError", async () => {
    const plugin = strava(sandbox.providerOptions());
    const athletes = await Promise.all([1, 2, 3].map(() => sandbox.seedAthlete({ activityCount: 0 })));
    const url = plugin.oauth.authorizationUrl({
      state: 's',
      redirectUri,
      scopes: plugin.oauth.defaultScopes,
    });
    // two consents while the app has room; the third athlete's code is issued before the cap fills
    const callbacks = [];
    for (const { providerUserId } of athletes) {
      callbacks.push(await sandbox.approve(url.toString(), { providerUserId }));
    }
    const exchange = (callback: URL) =>
      plugin.oauth.exchangeCode(
        { code: callback.searchParams.get('code')!, redirectUri, callbackParams: callback.searchParams },
        createContext(plugin).ctx,
      );
    await exchange(callbacks[0]!);
    await exchange(callbacks[1]!);
    const error = await exchange(callbacks[2]!).catch((e: unknown) => e);
    expect(ConnectionLimitError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'strava', status: 403 });
    expect((error as ConnectionLimitError).userMessage).toMatch(/connected athletes.*Extended Access/);
    expect(ProviderApiError.isInstance(error)).toBe(false);
    // now full: Strava's own consent page refuses the third athlete (the app never sees a callback)
    const refused = await sandbox
      .approve(url.toString(), { providerUserId: athletes[2]!.providerUserId })
      .catch((e: unknown) => e);
    expect(String(refused)).toMatch(/403.*Limit of connected athletes exceeded/);
    // an athlete already connected may reconnect
    await exchange(await sandbox.approve(url.toString(), { providerUserId: athletes[0]!.providerUserId }));
    expect(sandbox.connectedAthletes()).toHaveLength(2);
  });

  it('athleteCap (or STRAVA_ATHLETE_CAP) becomes the provider’s maxConnections, checked when read', () => {
    expect(strava({ env: {} }).maxConnections).toBeUndefined();
    expect(strava({ athleteCap: 10, env: {} }).maxConnections).toBe(10);
    expect(strava({ env: { STRAVA_ATHLETE_CAP: '25' } }).maxConnections).toBe(25);
    expect(() => strava({ env: { STRAVA_ATHLETE_CAP: 'ten' } }).maxConnections).toThrow(/athlete cap/);
  });
});

describe('trainlytics-sandbox-strava flags', () => {
  it('turns each developer-program switch on from the command line', async () => {
    const lines: string[] = [];
    const cli = await runSandboxCli(
      [
        '--athletes',
        '1',
        '--activities',
        '2',
        '--api-base',
        'api-v3',
        '--app-inactive',
        '--athlete-cap',
        '10',
        '--retire-deauthorize',
        '--header-tokens-only',
      ],
      { out: (line) => lines.push(line), handleSignals: false },
    );
    try {
      expect(cli!.getProgram()).toEqual({
        appInactive: true,
        athleteCap: 10,
        retireDeauthorize: true,
        headerTokensOnly: true,
      });
      expect(new URL(cli!.apiUrl).origin).not.toBe(new URL(cli!.baseUrl).origin);
      const output = lines.join('\n');
      expect(output).toContain(`export STRAVA_API_URL=${cli!.apiUrl}`);
      expect(output).toContain(`export STRAVA_OAUTH_URL=${cli!.baseUrl}`);
      expect(output).toMatch(
        /Developer program: appInactive, athleteCap=10, retireDeauthorize, headerTokensOnly/,
      );
      expect((await fetch(`${cli!.apiUrl}/athlete`)).status).toBe(403);
    } finally {
      await cli?.close();
    }
    await expect(runSandboxCli(['--api-base', 'v4'], { out: () => {} })).rejects.toThrow(/--api-base/);
  });
});
