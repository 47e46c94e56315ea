import { randomUUID } from 'node:crypto';
import { migrate } from '@trainlytics/migrations';
import { strava } from '@trainlytics/provider-strava';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { AppClient } from './helpers/app-client';

/**
 * Strava's 2026 developer program in the host app: the athlete cap warned on the dashboard and refused
 * with a readable page at connect time; an Inactive app said once on the dashboard, not per connection.
 */
let database: OpenedDatabase;
let opened: OpenedTrainlytics;
let sandbox: StravaSandbox;
let server: HostServer;
const CAP = 2;

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  sandbox = await startStravaSandbox({ apiBase: 'api-v3', program: { athleteCap: CAP } });
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    providers: [strava({ ...sandbox.providerOptions(), athleteCap: CAP })],
  });
  server = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: database.db,
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await opened?.close();
  await sandbox?.close();
  await database?.close();
});

const newUser = () => ensureUser(database.db, { email: `${randomUUID()}@example.com`, firstName: 'Ada' });

async function connect(client: AppClient, userId: number) {
  const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
  const start = await client.request(`/connect/strava?user=${userId}`);
  expect(start.status).toBe(302);
  const callback = await sandbox.approve(start.headers.get('location')!, { providerUserId });
  expect((await client.request(callback.toString())).status).toBe(303);
}

const notices = (html: string, kind: string) =>
  [...html.matchAll(new RegExp(`data-testid="provider-notice-${kind}">([^<]*)<`, 'g'))].map((m) => m[1]);

describe('Strava developer program in the host app', () => {
  it('warns as the athlete cap approaches and refuses one more athlete with a readable page', async () => {
    const client = new AppClient(server.baseUrl);
    const first = await newUser();
    await connect(client, first.id);
    expect(notices((await client.dashboard(first.id)).html, 'connection-limit')).toEqual([
      'Strava: 1 of 2 accounts connected: one more reaches the app&#39;s limit',
    ]);
    await connect(client, (await newUser()).id);
    expect(notices((await client.dashboard(first.id)).html, 'connection-limit')).toEqual([
      expect.stringMatching(
        /^Strava: 2 of 2 accounts connected, the app&#39;s limit: nobody else can connect/,
      ),
    ]);

    const refused = await client.request(`/connect/strava?user=${(await newUser()).id}`);
    expect(refused.status).toBe(409);
    const page = await refused.text();
    expect(page).toContain('Strava was not connected');
    expect(page).toMatch(/at most 2 accounts.*disconnect an account/);
  });

  it('says once on the dashboard that an Inactive app paused every Strava sync, with the fix', async () => {
    const client = new AppClient(server.baseUrl);
    const [connection] = await opened.trainlytics.connections.list({ provider: 'strava' });
    sandbox.setProgram({ appInactive: true });
    try {
      const { html: before } = await client.dashboard(connection!.userId);
      expect(notices(before, 'app-suspended')).toEqual([]);
      const sync = await client.post(`/api/connections/${connection!.id}/sync`);
      expect(sync.status).toBe(202);
      expect(await sync.json()).toMatchObject({
        status: 'deferred',
        errorMessage: expect.stringMatching(/Inactive/),
      });
      const { html } = await client.dashboard(connection!.userId);
      expect(notices(html, 'app-suspended')).toEqual([
        expect.stringMatching(
          /^Strava syncs are paused: .*Inactive.*https:\/\/www\.strava\.com\/settings\/api/,
        ),
      ]);
      const stored = await opened.trainlytics.connections.get(connection!.id);
      expect(stored).toMatchObject({ status: 'active', lastError: null });
    } finally {
      sandbox.setProgram({ appInactive: false });
    }
  });
});
