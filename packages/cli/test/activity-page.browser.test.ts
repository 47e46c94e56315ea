import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from '@trainlytics/migrations';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { decodePolyline } from '../src/app/streams-svg';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { axeViolations } from './helpers/axe';
import { launchChromium } from './helpers/chromium';
import { connectAccount } from './helpers/connect';

let database: OpenedDatabase;
let opened: OpenedTrainlytics;
let strava: StravaSandbox;
let server: HostServer;
let browser: Browser;
let userId: number;
let connectionId: number;

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  strava = await startStravaSandbox();
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    providers: [strava.createProvider()],
  });
  server = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: database.db,
    port: 0,
  });
  userId = (await ensureUser(database.db, { email: 'streams@example.com' })).id;
  const { providerUserId } = await strava.seedAccount({ activityCount: 20, seed: 5 });
  connectionId = (await connectAccount(opened.trainlytics, 'strava', strava, { userId, providerUserId })).id;
  await opened.trainlytics.sync(connectionId, { full: true });
  browser = await launchChromium();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await opened?.close();
  await strava?.close();
  await database?.close();
});

const ARTIFACTS = path.join(process.cwd(), 'test-results', 'dashboard');
mkdirSync(ARTIFACTS, { recursive: true });

describe('the activity page in Chromium', () => {
  it.each([
    [1366, 900],
    [390, 844],
  ])(
    'opens from the list and draws the route and the charts at %i×%i, with no axe violation',
    async (width, height) => {
      const rows = await opened.trainlytics.activities.list({ connectionId, limit: 50 });
      const gps = rows.find((a) => !a.isManual && JSON.stringify(a.raw).includes('"summary_polyline":"k'));
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(`${server.baseUrl}/dashboard?user=${userId}`);
      await page.locator(`a[href="/dashboard/activities/${gps!.id}"]`).first().click();
      await page.waitForURL(`**/dashboard/activities/${gps!.id}`);
      expect(await page.locator('h1').textContent()).toBe(gps!.name);
      const path = await page.locator('[data-testid="route"] path').getAttribute('d');
      expect(path?.split('L').length).toBeGreaterThan(50);
      expect(await page.locator('[data-testid="chart-pace"], [data-testid="chart-speed"]').count()).toBe(1);
      const title = await page.locator('[data-testid="chart-altitude"] title').textContent();
      expect(title).toMatch(/^Altitude: from \d+ to \d+ m, average \d+ m$/);
      expect(await page.locator('[data-testid="laps"] tbody tr').count()).toBeGreaterThan(0);
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      expect(await axeViolations(page)).toEqual([]);
      await page.screenshot({
        path: `test-results/dashboard/activity-${width}x${height}.png`,
        fullPage: true,
      });
      await page.getByTestId('back').click();
      expect(new URL(page.url()).searchParams.get('user')).toBe(String(userId));
      await page.close();
    },
  );

  it('says so for a manual activity, and serves the JSON API; another user’s activity is not found', async () => {
    const rows = await opened.trainlytics.activities.list({ connectionId, limit: 50 });
    const manual = rows.find((a) => a.isManual)!;
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/dashboard/activities/${manual.id}`);
    expect(await page.getByTestId('streams-status').textContent()).toMatch(/no recorded samples/);
    expect(await page.locator('[data-testid="route"]').count()).toBe(0);
    await page.close();
    const api = await fetch(`${server.baseUrl}/api/activities/${rows[0]!.id}/detail`);
    expect(api.status).toBe(200);
    const json = await api.json();
    expect(json).toMatchObject({ activityId: rows[0]!.id, provider: 'strava' });
    const missing = await fetch(`${server.baseUrl}/api/activities/987654/detail`);
    expect(missing.status).toBe(404);
  });

  it('decodes Google’s documented polyline example', () => {
    // https://developers.google.com/maps/documentation/utilities/polylinealgorithm
    expect(decodePolyline('_p~iF~ps|U_ulLnnqC_mqNvxq`@')).toEqual([
      [38.5, -120.2],
      [40.7, -120.95],
      [43.252, -126.453],
    ]);
  });
});
