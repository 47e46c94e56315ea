import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppClient } from './helpers/app-client';
import { startCli } from './helpers/run-cli';

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-demo-serve-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const decode = (value: string) =>
  value.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');

/** Submits the sandbox's consent page as a person clicking "Authorize" would (its own form, its own fields). */
async function approveConsentPage(authorizationUrl: string): Promise<string> {
  const page = await (await fetch(authorizationUrl)).text();
  const action = decode(/<form method="post" action="([^"]*)"/.exec(page)![1]!);
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.append(decode(name!), decode(value!));
  }
  for (const [, value] of page.matchAll(/<input type="checkbox" name="scope" value="([^"]*)" checked>/g)) {
    form.append('scope', decode(value!));
  }
  form.set('athlete_id', decode(/<option value="([^"]*)"/.exec(page)![1]!));
  form.set('decision', 'approve');
  const answer = await fetch(new URL(action, authorizationUrl), {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  expect(answer.status).toBe(302);
  return answer.headers.get('location')!;
}

describe('trainlytics demo --serve (the terminal mode)', () => {
  it('prints the dashboard URL and keeps serving; a person connects and syncs from the dashboard', async () => {
    const demo = startCli(['demo', '--serve', '--port', '0', '--activities', '10'], { cwd });
    try {
      const [, dashboardUrl] = await demo.waitFor(
        /^Dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard\?user=\d+)$/m,
      );
      await demo.waitFor(/Press Ctrl\+C to stop/);
      const url = new URL(dashboardUrl!);
      const userId = Number(url.searchParams.get('user'));
      const client = new AppClient(url.origin);

      const { html } = await client.dashboard(userId);
      for (const provider of ['strava', 'garmin', 'polar']) {
        expect(html).toContain(`data-provider="${provider}" data-status="never"`);
      }

      const start = await client.request(`/connect/strava?user=${userId}`);
      expect(start.status).toBe(302);
      const callback = await approveConsentPage(start.headers.get('location')!);
      expect((await client.request(callback)).status).toBe(303);

      const [connection] = await client.json(`/api/connections?user=${userId}`);
      expect(connection).toMatchObject({ provider: 'strava', status: 'active' });
      // The first sync starts by itself once connected.
      let first: { status: string; activitiesCreated: number } | undefined;
      while (!first || first.status === 'running') {
        [first] = await client.json(`/api/connections/${connection.id}/history`);
      }
      expect(first).toMatchObject({ status: 'success', activitiesCreated: 10 });
      expect(await client.json(`/api/activities?user=${userId}`)).toHaveLength(10);
    } finally {
      const stopped = await demo.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
