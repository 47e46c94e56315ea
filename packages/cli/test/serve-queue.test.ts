import { tmpdir } from 'node:os';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppClient } from './helpers/app-client';
import { runCli, startCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

let database: TestDatabase;
let sandbox: StravaSandbox;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'tl_cli_serve_queue' });
  sandbox = await startStravaSandbox();
  expect(
    (await runCli(['migrate', 'up', '--database-url', database.connectionString], { cwd: tmpdir() })).code,
  ).toBe(0);
});
afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

/** The pg-boss jobs of the sync queue, by state (each read is one real query). */
async function jobs(): Promise<{ connectionId: number; full: boolean; state: string }[]> {
  const { rows } = await database.pool.query(
    `select (data ->> 'connectionId')::int as "connectionId", coalesce((data ->> 'full')::boolean, false) as full, state
       from pgboss.job where name = 'trainlytics-sync' order by created_on`,
  );
  return rows;
}

describe('trainlytics serve --queue', () => {
  it("hands a new connection's first sync to the workers as a job instead of syncing it itself", async () => {
    const server = startCli(['serve', '--port', '0', '--queue'], {
      cwd: tmpdir(),
      env: { ...stravaEnv(sandbox), DATABASE_URL: database.connectionString },
    });
    try {
      await server.waitFor(
        /^Scheduled sync: due connections enqueued every 15 min for `trainlytics worker`$/m,
      );
      const url = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard$/m.exec(server.output().stdout)?.[1];
      const client = new AppClient(url!);
      expect(await client.json('/api/dead-jobs')).toEqual({ queue: true, deadJobs: [] });

      const { rows } = await database.pool.query(
        `insert into users (email) values ('q@example.com') returning id`,
      );
      const userId = Number(rows[0].id);
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 5, seed: 7 });
      const start = await client.request(`/connect/strava?user=${userId}`);
      const callback = await sandbox.approve(start.headers.get('location')!, { providerUserId });
      expect((await client.request(callback.toString())).status).toBe(303);
      const [connection] = await client.json(`/api/connections?user=${userId}`);

      // the first (full) sync is a job for the workers: nothing was synced by the app itself
      let queued = await jobs();
      while (queued.length === 0) queued = await jobs();
      expect(queued).toEqual([{ connectionId: connection.id, full: true, state: 'created' }]);
      expect(await client.json(`/api/connections/${connection.id}/history`)).toEqual([]);

      // the dashboard shows the queue's failed jobs section
      expect((await client.dashboard(userId)).html).toContain('Failed sync jobs');
    } finally {
      const stopped = await server.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
