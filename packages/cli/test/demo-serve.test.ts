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
  // Strava's consent page names its checkboxes `scope` and the account `athlete_id`, Garmin's `permission`
  // and `user_id`
  for (const [, name, value] of page.matchAll(
    /<input type="checkbox" name="(scope|permission)" value="([^"]*)" checked>/g,
  )) {
    form.append(name!, decode(value!));
  }
  const account = /<select name="(athlete_id|user_id)"[^>]*>\s*<option value="([^"]*)"/.exec(page)!;
  form.set(account[1]!, decode(account[2]!));
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
      // the Strava account holds Garmin Connect's uploads of some Garmin activities (the same workouts)
      const [, uploads] = await demo.waitFor(
        /^Strava sandbox on \S+: account \d+ with 10 activities \((\d+) of them uploaded by Garmin Connect, \d+ without external_id\)$/m,
      );
      expect(Number(uploads)).toBeGreaterThan(0);
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

      // Garmin: the first sync only requests the history; the sandbox delivers it to the app's webhook by
      // itself, as Garmin does, and the dashboard says what was requested and what arrived.
      const garminStart = await client.request(`/connect/garmin?user=${userId}`);
      expect(garminStart.status).toBe(302);
      const garminCallback = await approveConsentPage(garminStart.headers.get('location')!);
      expect((await client.request(garminCallback)).status).toBe(303);
      const garmin = (await client.json(`/api/connections?user=${userId}`)).find(
        (c: { provider: string }) => c.provider === 'garmin',
      );
      expect(garmin).toMatchObject({ status: 'active', reconnectUrl: null });
      // Waits on what the app stores (no fixed sleep): the delivery comes a second after the request.
      let garminActivities: unknown[] = [];
      while (garminActivities.length < 10) {
        garminActivities = await client.json(`/api/activities?user=${userId}&provider=garmin`);
      }
      expect(garminActivities).toHaveLength(10);
      const page = (await client.dashboard(userId)).html;
      expect(page).toMatch(/History requested for 25 windows \(730 days\)/);
      expect(page).toMatch(/data-testid="backfill-arrived-garmin">10</);
      // one timeline: each upload is one row naming both providers, the Garmin recording first
      expect(page.match(/<tr data-provider="garmin" data-providers="garmin strava"/g)).toHaveLength(
        Number(uploads),
      );
      expect(page.match(/<tr data-provider=/g)).toHaveLength(20 - Number(uploads));
      const workouts = await client.json(`/api/workouts?user=${userId}&provider=garmin`);
      expect(workouts).toHaveLength(10);
    } finally {
      const stopped = await demo.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
