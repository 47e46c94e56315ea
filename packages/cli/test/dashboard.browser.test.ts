import { isSportType, sportTypeDisplayName } from '@trainlytics/core';
import { migrate } from '@trainlytics/migrations';
import { type GarminSandbox, startGarminSandbox } from '@trainlytics/provider-garmin/sandbox';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { connectOverHttp } from '../src/demo/connect-over-http';
import { planGarminUploads, uploadToStrava } from '../src/demo/demo-overlap';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { axeViolations } from './helpers/axe';
import { launchChromium } from './helpers/chromium';

let database: OpenedDatabase;
let opened: OpenedTrainlytics;
let strava: StravaSandbox;
let server: HostServer;
/** The same app as `trainlytics serve` runs it: a new connection's backfill starts by itself. */
let autoSyncServer: HostServer;
let browser: Browser;

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
  autoSyncServer = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: database.db,
    port: 0,
    syncAfterConnect: true,
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await autoSyncServer?.close();
  await opened?.close();
  await strava?.close();
  await database?.close();
});

describe('the connections dashboard in Chromium', () => {
  it('connects a sandbox account through the consent page, shows its activities, syncs and disconnects', async () => {
    const user = await ensureUser(database.db, { email: 'browser@example.com', firstName: 'Grace' });
    const { providerUserId } = await strava.seedAccount({ activityCount: 18, seed: 21 });
    const page = await browser.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    page.on('response', (response) => {
      // Every request the dashboard makes to the app succeeds (the sandbox's own favicon is not ours).
      if (response.url().startsWith(server.baseUrl) && response.status() >= 400) {
        scriptErrors.push(`${response.status()} ${response.url()}`);
      }
    });

    await page.goto(`${server.baseUrl}/dashboard?user=${user.id}`);
    expect(await page.locator('h2').first().textContent()).toContain('browser@example.com');
    expect(await page.getByTestId('status-strava').textContent()).toBe('never connected');
    expect(await page.getByTestId('status-garmin').textContent()).toBe('never connected');
    expect(await page.locator('[data-provider="garmin"] .hint').textContent()).toMatch(
      /set GARMIN_CLIENT_ID/,
    );

    // Connect: the dashboard's form → the sandbox's consent page → approve → back on the dashboard.
    await page.getByTestId('connect-strava').click();
    await page.waitForURL(`${strava.baseUrl}/**`);
    expect(await page.title()).toMatch(/Strava sandbox/);
    await page.selectOption('#athlete_id', providerUserId);
    await page.click('#authorize');
    await page.waitForURL(`${server.baseUrl}/dashboard?user=${user.id}`);
    expect(await page.getByTestId('status-strava').textContent()).toBe('connected');
    expect(await page.getByTestId('last-sync-strava').textContent()).toBe('never');
    expect(await page.getByTestId('no-activities').isVisible()).toBe(true);
    expect(await page.getByTestId('streams-backlog-strava').count()).toBe(0); // nothing to fetch yet

    // Sync now: the activities appear with their normalized sport type (its display name), distance and duration.
    await page.getByTestId('sync-strava').click();
    await page.getByTestId('activities').waitFor();
    const rows = page.locator('[data-testid="activities"] tbody tr');
    expect(await rows.count()).toBe(18);
    const sportCells = page.locator('[data-testid="activities"] td.sport');
    const sports = await sportCells.allTextContents();
    const ids = await sportCells.evaluateAll((cells) => cells.map((c) => c.getAttribute('data-sport-type')));
    expect(ids.every((id) => isSportType(id))).toBe(true);
    expect(sports).toEqual(ids.map((id) => sportTypeDisplayName(id!)));
    expect(sports.some((s) => s.includes(' ') || /[A-Z]/.test(s))).toBe(true);
    expect(await rows.first().locator('td').nth(4).textContent()).toMatch(
      // the browser's language picks the units (en-US: miles); a swim is in metres
      /^(\d+\.\d{2} (km|mi)|[\d,]+ m|—)$/,
    );
    expect(await rows.first().locator('td').nth(5).textContent()).toMatch(
      /^(\d+ s|\d+ min \d{2} s|\d+ h \d{2} min)$|—/,
    );
    expect(await page.getByTestId('last-sync-strava').textContent()).not.toBe('never');
    const history = page.locator('[data-provider="strava"] table.history tbody tr');
    expect(await history.count()).toBe(1);
    expect(await history.first().locator('td').nth(3).textContent()).toBe('success');
    expect(await history.first().locator('td').nth(4).textContent()).toBe('18');
    // the activity detail backfill: how many activities still lack their detail, and how long that takes
    // under the rate limit the sandbox reported (less the 30 % kept for summary syncs)
    expect(await page.getByTestId('streams-backlog-strava').textContent()).toMatch(
      /^\s*Activity detail \(route, heart rate, pace\) still to fetch: 18 activities, (under an hour|about \d+ hours?|about \d+ days) at the current rate limit\.\s*$/,
    );

    // Disconnect: it says what it does first, and nothing happens when the person declines.
    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByTestId('disconnect-strava').click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toMatch(/^Disconnect Strava\? Syncing stops .* activities already synced stay here/);
    expect(await page.getByTestId('status-strava').textContent()).toBe('connected');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('disconnect-strava').click();
    await page.locator('[data-provider="strava"][data-status="inactive"]').waitFor();
    expect(await page.getByTestId('status-strava').textContent()).toBe('disconnected');
    expect(await page.getByTestId('connect-strava').textContent()).toMatch(/Reconnect Strava/);
    // the activities stay, marked as coming from a disconnected account
    await page.locator('[data-testid="activities"] tbody tr[data-disconnected="true"]').first().waitFor();
    expect(await page.locator('[data-testid="activities"] tbody tr[data-disconnected="true"]').count()).toBe(
      18,
    );
    expect(await page.getByTestId('disconnected-tag').first().textContent()).toBe('disconnected');
    const connection = (await opened.trainlytics.connections.list({ userId: user.id }))[0]!;
    expect(connection.status).toBe('inactive');

    expect(scriptErrors).toEqual([]);
    await page.close();
  });

  it('shows the activities of a new connection as soon as its first sync ran, without a click', async () => {
    const user = await ensureUser(database.db, { email: 'auto@example.com' });
    const { providerUserId } = await strava.seedAccount({ activityCount: 7, seed: 22 });
    const page = await browser.newPage();
    await page.goto(`${autoSyncServer.baseUrl}/dashboard?user=${user.id}`);
    await page.getByTestId('connect-strava').click();
    await page.waitForURL(`${strava.baseUrl}/**`);
    await page.selectOption('#athlete_id', providerUserId);
    await page.click('#authorize');
    // Back on the dashboard, which updates itself in place until the background backfill has run.
    // Once the sync reads as finished the page stops updating, so what follows reads a settled page.
    await page.locator('[data-provider="strava"] table.history tbody tr[data-status="success"]').waitFor();
    expect(await page.locator('[data-testid="activities"] tbody tr').count()).toBe(7);
    expect(await page.getByTestId('status-strava').textContent()).toBe('connected');
    expect(
      await page.locator('[data-provider="strava"] table.history tbody tr td').nth(2).textContent(),
    ).toBe('full');
    await page.close();
  });
});

describe('one timeline in Chromium: each workout once, with the providers it came from', () => {
  let db2: OpenedDatabase;
  let both: OpenedTrainlytics;
  let garmin: GarminSandbox;
  let strava2: StravaSandbox;
  let app: HostServer;
  beforeAll(async () => {
    db2 = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
    await migrate(db2.db, { direction: 'up' });
    // no scheduler: the Garmin backfill is delivered when the test flushes it
    garmin = await startGarminSandbox({ scheduler: { schedule: () => ({ cancel: () => {} }) } });
    strava2 = await startStravaSandbox();
    both = await openTrainlytics({
      env: {},
      cwd: process.cwd(),
      database: db2,
      providers: [garmin.createProvider(), strava2.createProvider()],
    });
    app = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: both.trainlytics,
      db: db2.db,
      port: 0,
    });
  });
  afterAll(async () => {
    await app?.close();
    await both?.close();
    await garmin?.close();
    await strava2?.close();
    await db2?.close();
  });

  it('groups Garmin Connect’s Strava uploads; Unlink and Link selected decide, and dedupe keeps the decisions', async () => {
    const user = await ensureUser(db2.db, { email: 'timeline@example.com' });
    // the demo's overlap: Strava holds Garmin Connect's uploads of some Garmin activities, with and without external_id
    const g = await garmin.seedAccount({ activityCount: 12, seed: 31 });
    const uploads = planGarminUploads(garmin, g.providerUserId, 6);
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    const s = await strava2.seedAccount({ activityCount: 3, seed: 32 });
    await uploadToStrava(strava2, s.providerUserId, uploads);
    for (const [providerId, sandbox, account] of [
      ['garmin', garmin, g],
      ['strava', strava2, s],
    ] as const) {
      await connectOverHttp({
        appUrl: app.baseUrl,
        providerId,
        userId: user.id,
        sandbox,
        providerUserId: account.providerUserId,
      });
      const [connection] = await both.trainlytics.connections.list({ userId: user.id, provider: providerId });
      expect((await both.trainlytics.sync(connection!.id, { full: true })).status).toBe('success');
    }
    await garmin.flushNotifications({ url: `${app.baseUrl}/webhooks/garmin` });
    await both.trainlytics.webhooks.idle();
    const stored = await both.trainlytics.store.countActivities({ userId: user.id });
    expect(stored).toBe(12 + 3 + uploads.length);
    await both.trainlytics.store.dedupe!({ userId: user.id });

    const page = await browser.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    await page.goto(`${app.baseUrl}/dashboard?user=${user.id}`);
    const rows = page.locator('[data-testid="activities"] tbody tr');
    const shared = page.locator('[data-testid="activities"] tbody tr[data-providers="garmin strava"]');
    // every upload is one row with both marks, canonical (the recording platform) first
    expect(await rows.count()).toBe(stored - uploads.length);
    expect(await shared.count()).toBe(uploads.length);
    expect(
      await shared
        .first()
        .locator('[data-provider-mark]')
        .evaluateAll((m) => m.map((x) => x.getAttribute('data-provider-mark'))),
    ).toEqual(['garmin', 'strava']);
    expect(await axeViolations(page)).toEqual([]);

    // the provider filter keeps a workout any copy of which came from the provider
    await page.goto(`${app.baseUrl}/dashboard?user=${user.id}&provider=strava`);
    expect(await rows.count()).toBe(3 + uploads.length);
    await page.goto(`${app.baseUrl}/dashboard?user=${user.id}`);

    // Unlink the Strava copy of the first shared workout: two rows now, a notice says so
    const first = shared.first();
    const garminId = Number(await first.getAttribute('data-activity-id'));
    const unlink = first.getByRole('button', { name: /^Unlink the Strava copy/ });
    const stravaId = Number((await unlink.getAttribute('data-testid'))!.replace('unlink-', ''));
    await unlink.click();
    await expect.poll(() => rows.count()).toBe(stored - uploads.length + 1);
    expect(await page.getByTestId('notice-activities').textContent()).toMatch(/^Unlinked/);
    expect(await shared.count()).toBe(uploads.length - 1);
    // the matcher never undoes it
    await both.trainlytics.store.dedupe!({ userId: user.id });
    await page.reload();
    expect(await shared.count()).toBe(uploads.length - 1);
    expect(await page.locator(`tr[data-activity-id="${stravaId}"]`).getAttribute('data-providers')).toBe(
      'strava',
    );
    expect(await axeViolations(page)).toEqual([]);

    // Link selected: one ticked row is refused; two of one connection are refused with the server's reason
    const garminOnly = page.locator(
      '[data-testid="activities"] tbody tr[data-providers="garmin"] input.link-pick',
    );
    await garminOnly.nth(0).check();
    await page.getByTestId('link-selected').click();
    expect(await page.getByTestId('notice-activities').textContent()).toMatch(/^Tick exactly two workouts/);
    await garminOnly.nth(1).check();
    await page.getByTestId('link-selected').click();
    await expect
      .poll(() => page.getByTestId('notice-activities').textContent())
      .toMatch(/^Link failed: .*same connection/);
    await page.reload();
    // two copies of one workout, ticked, become one row again
    await page.getByTestId(`pick-${garminId}`).check();
    await page.getByTestId(`pick-${stravaId}`).check();
    await page.getByTestId('link-selected').click();
    await expect.poll(() => rows.count()).toBe(stored - uploads.length);
    expect(await page.getByTestId('notice-activities').textContent()).toBe(
      'Linked: one workout from 2 copies.',
    );
    expect(await shared.count()).toBe(uploads.length);
    await page.close();
    expect(scriptErrors).toEqual([]);
  });
});
