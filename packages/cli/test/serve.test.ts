import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database';
import { AppClient } from './helpers/app-client';
import { useEmbeddedProject } from './helpers/embedded-project';
import { runCli, startCli } from './helpers/run-cli';
import { stravaEnv } from './helpers/strava-env';

const ENCRYPTION_KEY = 'ab'.repeat(32);

/** Reads the connection's history until its first sync has finished (each read is one real request). */
async function waitForFirstSync(client: AppClient, connectionId: number) {
  for (;;) {
    const [first] = await client.json(`/api/connections/${connectionId}/history`);
    if (first && first.status !== 'running') return first;
  }
}

const project = useEmbeddedProject('trainlytics-serve-');

describe('trainlytics serve', () => {
  it('serves the host app on the embedded database until it is stopped', async () => {
    const server = startCli(['serve', '--port', '0', '--no-scheduler'], {
      cwd: project.cwd,
      env: { ...stravaEnv(project.sandbox), TRAINLYTICS_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
    try {
      await server.waitFor(/^Scheduled sync is off$/m);
      const { stdout } = server.output();
      expect(stdout).toMatch(/^Providers: strava$/m);
      const url = /^Dashboard: (http:\/\/127\.0\.0\.1:\d+)\/dashboard$/m.exec(stdout)?.[1];
      const client = new AppClient(url!);

      // A person creates their user on the empty dashboard, then connects Strava.
      const empty = await client.dashboard();
      expect(empty.html).toContain('No user yet');
      const created = await client.post('/users', {
        body: new URLSearchParams({ email: 'serve@example.com' }),
      });
      expect(created.status).toBe(303);
      const userPath = created.headers.get('location')!;
      expect(userPath).toMatch(/^\/dashboard\?user=\d+$/);
      const userId = Number(new URL(userPath, url).searchParams.get('user'));

      const { providerUserId } = await project.sandbox.seedAccount({ activityCount: 9, seed: 31 });
      const start = await client.request(`/connect/strava?user=${userId}`);
      expect(start.status).toBe(302);
      const callback = await project.sandbox.approve(start.headers.get('location')!, { providerUserId });
      expect(callback.toString().startsWith(`${url}/connect/strava/callback`)).toBe(true);
      expect((await client.request(callback.toString())).status).toBe(303);

      // The app starts the new connection's backfill in the background; the dashboard refreshes until it ran.
      const [connection] = await client.json(`/api/connections?user=${userId}`);
      const first = await waitForFirstSync(client, connection.id);
      expect(first).toMatchObject({ syncType: 'full', status: 'success', activitiesCreated: 9 });
      expect(await client.json(`/api/activities?user=${userId}`)).toHaveLength(9);

      await client.dashboard(userId);
      const sync = await client.post(`/api/connections/${connection.id}/sync`);
      expect(await sync.json()).toMatchObject({ status: 'success', activitiesCreated: 0 });
    } finally {
      const stopped = await server.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).toMatch(/Stopping…/);
      expect(stopped.stderr).not.toMatch(/\n\s+at /);
    }

    // With TRAINLYTICS_ENCRYPTION_KEY set, the tokens the app stored are encrypted at rest.
    const database = await openDatabase({ env: {}, cwd: project.cwd });
    try {
      const { rows } = await database.db.query<{ access_token: string; refresh_token: string | null }>(
        'select access_token, refresh_token from provider_connections',
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.access_token).toMatch(/^tl1:/);
      expect(rows[0]!.refresh_token).toMatch(/^tl1:/);
    } finally {
      await database.close();
    }
  });

  it('reports a port in use with one line', async () => {
    // The sandbox already listens on this port.
    const port = new URL(project.sandbox.baseUrl).port;
    // with the key: the database of the test above holds encrypted tokens (without it, serve refuses on that)
    const run = await runCli(['serve', '--port', port, '--no-scheduler'], {
      cwd: project.cwd,
      env: { ...stravaEnv(project.sandbox), TRAINLYTICS_ENCRYPTION_KEY: ENCRYPTION_KEY },
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`trainlytics: Port ${port} is already in use: choose another with --port`);
  });
});
