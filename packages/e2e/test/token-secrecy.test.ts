import { randomBytes } from 'node:crypto';
import {
  ensureUser,
  type HostServer,
  loopbackDemoAuth,
  type OpenedTrainlytics,
  openDatabase,
  openTrainlytics,
  run,
  startHostServer,
} from '@trainlytics/cli';
import { ConfigurationError, createTokenCipher, createTrainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { type ConformanceSandbox, createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppClient } from './helpers/app-client';
import { capturingLogger } from './helpers/capture';
import { connectAccount, createUser } from './helpers/connect';
import { SANDBOX_CASES } from './helpers/sandboxes';

// Tokens never leave core: not in a log line, an error, a page or a JSON answer of the host app. The
// whole flow runs against the three sandboxes (connect, syncs, a refresh, a refused refresh, webhooks,
// dashboard, JSON API, disconnect) with a capturing logger; every token the sandboxes issued is read
// from the database (no encryption key: stored as issued) after each step and grepped for.

let database: TestDatabase;
const sandboxes = new Map<string, ConformanceSandbox>();

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_tokens' });
  for (const c of SANDBOX_CASES) sandboxes.set(c.id, await c.start());
});
afterAll(async () => {
  for (const sandbox of sandboxes.values()) await sandbox.close();
  await database?.drop();
});

async function tokensInDatabase(): Promise<string[]> {
  const { rows } = await database.pool.query('select access_token, refresh_token from provider_connections');
  return rows
    .flatMap((r) => [r.access_token, r.refresh_token])
    .filter((t): t is string => typeof t === 'string');
}

describe('tokens never appear in logs, errors or what the host app serves', () => {
  let opened: OpenedTrainlytics;
  let server: HostServer;
  const logger = capturingLogger();

  beforeAll(async () => {
    const db = await openDatabase({ env: { DATABASE_URL: database.connectionString }, cwd: process.cwd() });
    opened = await openTrainlytics({
      env: {},
      cwd: process.cwd(),
      database: db,
      providers: [...sandboxes.values()].map((s) => s.createProvider()),
      logger,
      webhookProcessing: 'inline',
    });
    server = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: opened.trainlytics,
      db: db.db,
      port: 0,
      logger,
    });
  });
  afterAll(async () => {
    await server?.close();
    await opened?.close();
    await opened?.database.close();
  });

  it('the full flow of the three providers: no token in any log entry, page, JSON answer, header or error', async () => {
    const seen = new Set<string>();
    const remember = async () => {
      for (const t of await tokensInDatabase()) seen.add(t);
    };
    const client = new AppClient(server.baseUrl);
    const user = await ensureUser(opened.database.db, { email: `secret-${Date.now()}@example.com` });
    const errors: unknown[] = [];

    for (const c of SANDBOX_CASES) {
      const sandbox = sandboxes.get(c.id)!;
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 6 });
      // connect through the app's routes
      const start = await client.request(`/connect/${c.id}?user=${user.id}`);
      expect(start.status).toBe(302);
      const callback = await sandbox.approve(start.headers.get('location')!, { providerUserId });
      const finish = await client.request(`${callback.pathname}${callback.search}`);
      expect(finish.status).toBe(303);
      await remember();
      const [connection] = (await client.json(`/api/connections?user=${user.id}`)).filter(
        (x: { provider: string }) => x.provider === c.id,
      );
      await client.dashboard(user.id);
      expect((await client.post(`/api/connections/${connection.id}/sync?full=1`)).status).toBe(200);
      // an expired token: refreshed (or refused) during the next sync
      const [added] = await sandbox.addActivities(providerUserId, 1);
      await sandbox.expireAccessTokens(providerUserId);
      await client.post(`/api/connections/${connection.id}/sync`);
      await remember();
      // a webhook delivery through the app's endpoint
      const delivery = await sandbox.webhookRequest(
        { type: 'activity.created', providerUserId, providerActivityId: added as string },
        { url: `${server.baseUrl}/webhooks/${c.id}` },
      );
      if (delivery) await client.record('POST', `/webhooks/${c.id}`, await fetch(delivery));
      // a refresh the provider refuses: the failure message is stored and served
      await sandbox.expireAccessTokens(providerUserId);
      sandbox.setFaults({ rejectRefresh: true });
      await client.post(`/api/connections/${connection.id}/sync`);
      sandbox.resetFaults();
      await remember();
      await client.json(`/api/connections/${connection.id}`);
      await client.json(`/api/connections/${connection.id}/history`);
      await client.json(`/api/activities?user=${user.id}`);
      await client.dashboard(user.id);
      // errors thrown by the public API carry no token either
      await opened.trainlytics.sync(connection.id).then(
        (r) => errors.push(r),
        (e: unknown) => errors.push(e),
      );
      await client.post(`/api/connections/${connection.id}/disconnect`);
      await remember();
    }
    await client.json('/api/connections');
    await client.json('/api/users');

    expect(seen.size).toBeGreaterThanOrEqual(6);
    for (const token of seen) expect(token.length).toBeGreaterThanOrEqual(16);
    const served = client.recorded.map((r) => `${r.method} ${r.path} ${r.status}\n${r.headers}\n${r.body}`);
    expect(client.recorded.length).toBeGreaterThan(30);
    const logs = logger.text();
    expect(logger.entries.length).toBeGreaterThan(0);
    const thrown = errors.map((e) => JSON.stringify(e, Object.getOwnPropertyNames(e ?? {})));
    for (const token of seen) {
      for (const answer of served)
        expect(answer.includes(token), `a response contains a token:\n${answer}`).toBe(false);
      expect(logs.includes(token), 'a log entry contains a token').toBe(false);
      for (const text of thrown) expect(text.includes(token)).toBe(false);
    }
  });
  it('the CLI (connections list, sync, sync --all; as text and as --json) prints no token', async () => {
    const env: Record<string, string> = { DATABASE_URL: database.connectionString };
    for (const sandbox of sandboxes.values()) {
      Object.assign(env, (sandbox as ConformanceSandbox & { env(): Record<string, string> }).env());
    }
    // a fresh, active connection per provider so that the syncs really run
    const userId = await createUser(database.pool, 'cli');
    const ids: number[] = [];
    for (const c of SANDBOX_CASES) {
      const sandbox = sandboxes.get(c.id)!;
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 3 });
      ids.push((await connectAccount(opened.trainlytics, sandbox, c.id, userId, providerUserId)).id);
    }
    const output: string[] = [];
    const io = {
      stdout: { write: (chunk: string) => output.push(chunk) },
      stderr: { write: (chunk: string) => output.push(chunk) },
      env,
      cwd: process.cwd(),
    };
    const commands = [
      ['connections', 'list'],
      ['connections', 'list', '--json'],
      ...ids.flatMap((id) => [
        ['sync', String(id), '--full', '--json'],
        ['sync', String(id)],
      ]),
      ['sync', '--all', '--json'],
    ];
    for (const args of commands) await run(['node', 'trainlytics', ...args], io);
    const text = output.join('');
    // the syncs really ran: each connection's JSON result says success
    expect(text.match(/"status":\s*"success"/g)?.length ?? 0).toBeGreaterThanOrEqual(ids.length);
    const tokens = await tokensInDatabase();
    expect(tokens.length).toBeGreaterThanOrEqual(ids.length);
    for (const token of tokens) expect(text.includes(token), 'the CLI printed a token').toBe(false);
  });
});

describe('tokens are encrypted at rest; key rotation re-encrypts', () => {
  const key1 = randomBytes(32).toString('hex');
  const key2 = randomBytes(32).toString('hex');

  it('with a key every stored token is ciphertext; rotation to kid2 rewrites every row and the connections keep working', async () => {
    const sandbox = sandboxes.get('strava')!;
    const providers = () => [...sandboxes.values()].map((s) => s.createProvider());
    const store = () => postgresStore({ pool: database.pool });
    const before = new Set(await tokensInDatabase());
    const plain = createTrainlytics({ store: store(), providers: providers() });
    const withKid1 = createTrainlytics({
      store: store(),
      providers: providers(),
      encryptionKey: `kid1:${key1}`,
    });
    const userId = await createUser(database.pool, 'encrypted');
    const ids: number[] = [];
    const plaintextTokens: string[] = [];

    // one legacy plaintext connection (made before a key was set) and one per provider made with kid1
    const { providerUserId: legacyAccount } = await sandbox.seedAccount({ activityCount: 2 });
    const legacyUser = await createUser(database.pool, 'legacy');
    const legacy = await connectAccount(plain, sandbox, 'strava', legacyUser, legacyAccount);
    ids.push(legacy.id);
    plaintextTokens.push(
      ...(
        await database.pool.query(
          'select access_token, refresh_token from provider_connections where id = $1',
          [legacy.id],
        )
      ).rows
        .flatMap((r) => [r.access_token, r.refresh_token])
        .filter(Boolean),
    );
    for (const c of SANDBOX_CASES) {
      const s = sandboxes.get(c.id)!;
      const { providerUserId } = await s.seedAccount({ activityCount: 2 });
      const connection = await connectAccount(withKid1, s, c.id, userId, providerUserId);
      ids.push(connection.id);
    }

    const raw = async () =>
      (
        await database.pool.query(
          'select id, access_token, refresh_token from provider_connections where id = any($1) order by id',
          [ids],
        )
      ).rows;
    for (const row of (await raw()).slice(1)) {
      expect(row.access_token).toMatch(/^tl1:kid1:/);
      if (row.refresh_token !== null) expect(row.refresh_token).toMatch(/^tl1:kid1:/);
      // the ciphertext is not any token the sandboxes issued before
      expect(before.has(row.access_token)).toBe(false);
    }
    // the stored ciphertext does not contain the plaintext
    const cipher = createTokenCipher(`kid1:${key1}`);
    for (const row of (await raw()).slice(1)) {
      const plaintext = cipher.decrypt(row.access_token);
      expect(plaintext.length).toBeGreaterThan(8);
      expect(row.access_token.includes(plaintext)).toBe(false);
    }
    // the legacy plaintext row is read, and re-encrypted by reencryptAll
    expect((await raw())[0]?.access_token).toBe(plaintextTokens[0]);
    expect((await withKid1.sync(legacy.id, { full: true })).status).toBe('success');
    expect(await withKid1.tokens.reencryptAll()).toBeGreaterThanOrEqual(1);
    expect((await raw())[0]?.access_token).toMatch(/^tl1:kid1:/);

    // rotation: kid2 first (encrypts), kid1 still decrypts
    const rotated = createTrainlytics({
      store: store(),
      providers: providers(),
      encryptionKey: `kid2:${key2},kid1:${key1}`,
    });
    expect(await rotated.tokens.reencryptAll()).toBeGreaterThanOrEqual(ids.length);
    for (const row of await raw()) {
      expect(row.access_token).toMatch(/^tl1:kid2:/);
      if (row.refresh_token !== null) expect(row.refresh_token).toMatch(/^tl1:kid2:/);
    }
    // kid1 is no longer needed: an instance with kid2 alone syncs every connection
    const onlyKid2 = createTrainlytics({
      store: store(),
      providers: providers(),
      encryptionKey: `kid2:${key2}`,
    });
    for (const id of ids) {
      const result = await onlyKid2.sync(id, { full: true });
      expect(result.status, result.errorMessage ?? '').toBe('success');
    }
    // and a wrong key fails with a ConfigurationError naming the key (no token shown)
    const wrong = createTrainlytics({
      store: store(),
      providers: providers(),
      encryptionKey: `kid2:${randomBytes(32).toString('hex')}`,
    });
    const failed = await wrong.sync(ids[1]!).catch((e: unknown) => e);
    const text = JSON.stringify(failed, Object.getOwnPropertyNames(failed ?? {}));
    if (failed instanceof Error) {
      expect(ConfigurationError.isInstance(failed)).toBe(true);
      expect((failed as ConfigurationError).setting).toBe('TRAINLYTICS_ENCRYPTION_KEY');
    } else expect((failed as { status: string }).status).toBe('failed');
    const kid2 = createTokenCipher(`kid2:${key2}`);
    for (const row of await raw()) {
      expect(text.includes(row.access_token)).toBe(false);
      expect(text.includes(kid2.decrypt(row.access_token))).toBe(false);
    }
  });
});
