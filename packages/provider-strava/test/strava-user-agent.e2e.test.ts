import { readFileSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, FakeClock, type FetchFunction, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite } from '@trainlytics/core/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { stravaPushSubscriptions } from '../src/strava-webhooks';
import { redirectUri } from './harness';

const versionOf = (pkg: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;
const expected = `trainlytics/${versionOf('core')} provider-strava/${versionOf('provider-strava')}`;

let sandbox: StravaSandbox;
let pglite: PGlite;
let trainlytics: Trainlytics;
const agents = new Map<string, Set<string | null>>();

/** Records the User-Agent of each request as it leaves for the sandbox's socket. */
const recordingFetch: FetchFunction = async (input, init) => {
  const request = new Request(input, init);
  const path = new URL(request.url).pathname;
  if (!agents.has(path)) agents.set(path, new Set());
  agents.get(path)!.add(request.headers.get('user-agent'));
  return fetch(request);
};

beforeAll(async () => {
  sandbox = await startStravaSandbox();
  pglite = await createTestPGlite({ migrate: true });
  trainlytics = createTrainlytics({
    store: postgresStore(pglite),
    providers: [sandbox.createProvider({ fetch: recordingFetch })],
    clock: new FakeClock(sandbox.clock.now()),
  });
});
afterAll(async () => {
  await trainlytics.close();
  await sandbox.close();
  await pglite.close();
});

it('every request to Strava names core and the plugin with the versions in their package.json', async () => {
  const user = await pglite.query<{ id: number }>(
    `insert into users (email) values ('ua@example.com') returning id`,
  );
  const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
  const { url } = await trainlytics.connect.start('strava', { userId: user.rows[0]!.id, redirectUri });
  const callback = await sandbox.approve(url, { providerUserId });
  const connection = await trainlytics.connect.finish('strava', { callbackParams: callback.searchParams });
  await trainlytics.sync(connection.id);
  await stravaPushSubscriptions({ ...sandbox.providerOptions(), fetch: recordingFetch }).list();

  expect([...agents.keys()]).toEqual(
    expect.arrayContaining(['/oauth/token', '/api/v3/athlete/activities', '/api/v3/push_subscriptions']),
  );
  for (const [path, seen] of agents)
    expect({ path, agents: [...seen] }).toEqual({ path, agents: [expected] });
  expect(expected).toMatch(/^trainlytics\/\d+\.\d+\.\d+\S* provider-strava\/\d+\.\d+\.\d+\S*$/);
});
