import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { sportTypeDisplayName } from '@trainlytics/core';
import { migrate } from '@trainlytics/migrations';
import {
  type GarminSandbox,
  type SandboxScheduler,
  startGarminSandbox,
} from '@trainlytics/provider-garmin/sandbox';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminTokenAuth } from '../src/app/admin-token-auth';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { SPORT_FAMILIES, sportFamily, sportFamilyLabel } from '../src/app/sport-families';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { axeViolations } from './helpers/axe';
import { launchChromium } from './helpers/chromium';

// The dashboard's states as a person meets them in Chromium: a Garmin history that arrives later by
// webhook, updates in place (focus kept, no navigation), a failed "Sync now", withdrawn permissions,
// times in one zone, and the phone layout.

/** Runs the Garmin sandbox's automatic deliveries when the test says so (no timers, no sleeps). */
class ManualScheduler implements SandboxScheduler {
  tasks: Array<() => Promise<void>> = [];
  schedule(task: () => Promise<void>) {
    this.tasks.push(task);
    return { cancel: () => (this.tasks = this.tasks.filter((t) => t !== task)) };
  }
  async runDue(): Promise<number> {
    const due = this.tasks;
    this.tasks = [];
    for (const task of due) await task();
    return due.length;
  }
}

let database: OpenedDatabase;
let opened: OpenedTrainlytics;
let garmin: GarminSandbox;
const scheduler = new ManualScheduler();
let server: HostServer;
let browser: Browser;

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  garmin = await startGarminSandbox({ scheduler, seed: 5 });
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    providers: [garmin.createProvider()],
  });
  server = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: database.db,
    port: 0,
    syncAfterConnect: true,
    syncIntervalMs: 15 * 60_000,
  });
  garmin.webhookUrl = `${server.baseUrl}/webhooks/garmin`;
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await opened?.close();
  await garmin?.close();
  await database?.close();
});

const H = 3600;

/** Screenshots of each state, kept as test artifacts (git-ignored `test-results/dashboard/`). */
const ARTIFACTS = path.join(process.cwd(), 'test-results', 'dashboard');
mkdirSync(ARTIFACTS, { recursive: true });

/** Each state: kept as a screenshot, and checked by axe-core (no violation). */
async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  expect(await axeViolations(page), `axe-core on ${name}`).toEqual([]);
}

/** The two sizes every state is checked at: a laptop and a phone. */
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * Brings a page into a state the script makes in place (a notice, a busy button); what it returns, if
 * anything, runs after the screenshot (e.g. lets a held request go).
 */
type Reach = (page: Page) => Promise<void | (() => Promise<void>)>;

/**
 * One state at both sizes, each screenshotted and checked by axe-core (`<name>-1366`, `<name>-390`).
 * Given a page (1366×900) already in the state, a 390×844 page opens its URL (and repeats `reach`);
 * given a URL, both sizes open it and run `reach`.
 */
async function shotBoth(name: string, at: Page | string, reach?: Reach) {
  const sizes: Array<[typeof DESKTOP, string]> = [
    [DESKTOP, '1366'],
    [PHONE, '390'],
  ];
  for (const [viewport, suffix] of sizes) {
    if (typeof at !== 'string' && viewport === DESKTOP) {
      await shot(at, `${name}-${suffix}`);
      continue;
    }
    const page = await pageAt(viewport);
    await page.goto(typeof at === 'string' ? at : at.url());
    const leave = await reach?.(page);
    await shot(page, `${name}-${suffix}`);
    await leave?.();
  }
}

/** One page per size, reused from state to state (a new page costs a renderer process each time). */
const statePages = new Map<typeof DESKTOP, Page>();
async function pageAt(viewport: typeof DESKTOP): Promise<Page> {
  let page = statePages.get(viewport);
  if (!page) {
    const context = await browser.newContext({ viewport, timezoneId: 'Europe/Paris' });
    page = await context.newPage();
    statePages.set(viewport, page);
  }
  return page;
}

/** Holds the page's Sync now request until the returned function lets it go: the button stays busy. */
const holdSync =
  (provider: string): Reach =>
  async (page) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/connections/*/sync', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByTestId(`sync-${provider}`).click();
    await page.locator(`[data-testid="sync-${provider}"][aria-disabled="true"]`).waitFor();
    expect(await page.getByTestId(`sync-${provider}`).textContent()).toBe('Syncing…');
    return async () => {
      release();
      await page.locator(`[data-testid="sync-${provider}"]:not([aria-disabled])`).waitFor();
      await page.unrouteAll();
    };
  };

/** The testid of the focused element. */
const focusedTestId = (page: Page) =>
  page.evaluate<string | null>('document.activeElement?.dataset.testid ?? null');

describe('dashboard states in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let dashboardUrl: string;
  let providerUserId: string;

  it('no user yet: the form to create one', async () => {
    await shotBoth('no-user', `${server.baseUrl}/dashboard`, async (page) => {
      expect(await page.getByRole('heading', { name: 'No user yet' }).isVisible()).toBe(true);
    });
  });

  it('a Garmin history requested at connect arrives by itself and appears in place, focus kept, no reload', async () => {
    const user = await ensureUser(database.db, { email: 'garmin-states@example.com' });
    dashboardUrl = `${server.baseUrl}/dashboard?user=${user.id}`;
    ({ providerUserId } = await garmin.seedAccount({ activityCount: 6, days: 2 }));
    // Two activities whose local times run opposite to their instants: A starts first (UTC) in Tokyo,
    // B an hour later in Los Angeles. Printed in their own local times, B (earlier local) would sit above A.
    const t = Math.floor(Date.now() / 1000) - 3 * 24 * H;
    await garmin.addActivity(providerUserId, {
      startTimeInSeconds: t,
      uploadTimeInSeconds: t + 2 * H,
      fields: { startTimeOffsetInSeconds: 9 * H, activityName: 'Activity A' },
    });
    await garmin.addActivity(providerUserId, {
      startTimeInSeconds: t + H,
      uploadTimeInSeconds: t + 3 * H,
      fields: { startTimeOffsetInSeconds: -8 * H, activityName: 'Activity B' },
    });

    context = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      timezoneId: 'Europe/Paris',
    });
    page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    await page.goto(dashboardUrl);
    await page.getByTestId('connect-garmin').click();
    await page.waitForURL(`${garmin.baseUrl}/**`);
    await page.selectOption('#user_id', providerUserId);
    await page.click('#approve');
    await page.waitForURL(dashboardUrl);

    // The first sync requested the history; nothing has arrived yet, and the card says so.
    const arrived = page.getByTestId('backfill-arrived-garmin');
    await arrived.waitFor();
    expect(await arrived.textContent()).toBe('0');
    expect(await page.getByTestId('backfill-garmin').textContent()).toMatch(
      /History requested for 25 windows \(730 days\) at \d{4}-\d{2}-\d{2} \d{2}:\d{2} GMT\+[12];\s+0\s+activities arrived\. Garmin sends it in the background/s,
    );
    expect(await page.getByTestId('no-activities').isVisible()).toBe(true);
    await shotBoth('garmin-backfill-requested', page);

    // From here on: no navigation, and the keyboard focus stays on the Disconnect button.
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await page.evaluate("window.marker = 'same document'");
    await page.getByTestId('disconnect-garmin').focus();
    expect(await focusedTestId(page)).toBe('disconnect-garmin');

    // Garmin (the sandbox) delivers the history to the webhook by itself: one task per requested window.
    expect(await scheduler.runDue()).toBe(25);
    await page.locator('[data-testid="backfill-arrived-garmin"]', { hasText: /^8$/ }).waitFor();
    await page.locator('[data-testid="activities"] tbody tr').nth(7).waitFor();
    expect(await page.locator('[data-testid="activities"] tbody tr').count()).toBe(8);
    expect(await page.getByTestId('count-garmin').textContent()).toBe('8');
    // the weekly chart: server-rendered SVG, a bar per week, the activities of the last weeks in it
    const bars = page.locator('[data-testid="weekly-chart"] g[data-week]');
    expect(await bars.count()).toBe(8);
    const seconds = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-moving-s'))));
    expect(seconds.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // with scheduled sync, the next one: an interval after the last
    expect(await page.getByTestId('next-sync-garmin').locator('time').textContent()).toMatch(
      /^in 1[45] min$/,
    );
    expect(await focusedTestId(page)).toBe('disconnect-garmin');
    expect(await page.evaluate<string>('window.marker')).toBe('same document');
    expect(navigations).toBe(0);
    // the status line is a live region, updated in place
    expect(await page.getByTestId('state-garmin').getAttribute('role')).toBe('status');
    // the last sync reads as a human time, the exact one on hover
    const lastSync = page.getByTestId('last-sync-garmin').locator('time');
    expect(await lastSync.textContent()).toMatch(/^(just now|\d+ min ago)$/);
    expect(await lastSync.getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} GMT\+[12]$/);
    expect(scriptErrors).toEqual([]);
    await shotBoth('connected-with-activities', page);
  });

  it('Sync now in flight: the button is busy and says so', async () => {
    await shotBoth('sync-running', dashboardUrl, holdSync('garmin'));
  });

  it('prints every start time in the viewer zone with its label, so the rows read in sorted order', async () => {
    const cells = page.locator('[data-testid="activities"] td.start time');
    const shown = await cells.allTextContents();
    const instants = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
    expect(shown.every((s) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} GMT\+[12]$/.test(s))).toBe(true);
    // sorted by instant, newest first, and the printed times in that same order
    expect([...instants].sort().reverse()).toEqual(instants);
    const wall = shown.map((s) => s.slice(0, 16));
    expect([...wall].sort().reverse()).toEqual(wall);
    const names = await page.locator('[data-testid="activities"] td.name').allTextContents();
    expect(names.indexOf('Activity B')).toBe(names.indexOf('Activity A') - 1);
    // the activity's own local time and offset are on hover
    const a = page
      .locator('[data-testid="activities"] tr', { hasText: 'Activity A' })
      .locator('td.start time');
    expect(await a.getAttribute('title')).toMatch(/at the activity: .* \(UTC\+09:00\)/);

    // Without the script: UTC, labelled, in the same order.
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const noScript = await plain.newPage();
    await noScript.goto(dashboardUrl);
    const utc = await noScript.locator('[data-testid="activities"] td.start time').allTextContents();
    expect(utc.every((s) => s.endsWith(' UTC'))).toBe(true);
    expect([...utc].sort().reverse()).toEqual(utc);
    await plain.close();
  });

  it('a failed Sync now shows the reason the server sent, once, and refreshes the history', async () => {
    const rows = page.locator('[data-provider="garmin"] table.history tbody tr');
    // each click adds one failed row (a backfill the sandbox delivers meanwhile may add a webhook row)
    const failedRows = page.locator('[data-provider="garmin"] table.history tbody tr[data-status="failed"]');
    const before = await failedRows.count();
    garmin.setFaults({ status: { code: 400, times: 2 } });
    const sync = page.getByTestId('sync-garmin');
    for (let click = 0; click < 2; click++) {
      await sync.focus();
      await page.keyboard.press('Enter');
      await page
        .locator('[data-provider="garmin"] table.history tbody tr[data-status="failed"]')
        .nth(click)
        .waitFor();
      await expect.poll(() => sync.getAttribute('aria-disabled')).toBe(null);
    }
    const notice = page.getByTestId('notice-garmin');
    expect(await notice.locator('p').count()).toBe(1);
    const text = await notice.textContent();
    expect(text).toMatch(/^Sync failed: .*HTTP 400/);
    expect(text).not.toMatch(/Bad Gateway/);
    expect(await failedRows.count()).toBe(before + 2);
    expect(await rows.first().locator('td.error-message').textContent()).toMatch(/HTTP 400/);
    // still the same button, focused, after both in-place updates
    expect(await focusedTestId(page)).toBe('sync-garmin');
    await shotBoth('sync-failed', page, async (phone) => {
      garmin.setFaults({ status: { code: 400, times: 1 } });
      await phone.getByTestId('sync-garmin').click();
      await phone.locator('[data-testid="notice-garmin"] p', { hasText: /^Sync failed: / }).waitFor();
    });

    // Written for the athlete: the headline says what happened, the technical reason is a disclosure
    const lastError = page.getByTestId('last-error-garmin');
    await lastError.waitFor();
    expect(await lastError.locator('p').first().textContent()).toMatch(
      /^\s*The last sync with Garmin did not finish\./,
    );
    expect(await lastError.locator('p').first().textContent()).not.toMatch(/HTTP|\(/);
    expect(await lastError.locator('details').textContent()).toMatch(/Technical detail.*HTTP 400/s);

    // "Try again" in the notice runs the same sync; it works and says so, replacing the failure.
    await page.getByTestId('retry-sync-garmin').click();
    await page
      .locator('[data-testid="notice-garmin"] p', { hasText: /^Synced: \d+ new, \d+ updated\.$/ })
      .waitFor();
    expect(await notice.locator('p').count()).toBe(1);
  });

  it('Full re-sync asks first, then runs a full sync in place', async () => {
    const messages: string[] = [];
    page.once('dialog', (dialog) => {
      messages.push(dialog.message());
      void dialog.accept();
    });
    const fullRows = page.locator('[data-provider="garmin"] table.history tbody tr', { hasText: 'full' });
    const before = await fullRows.count();
    await page.getByTestId('full-sync-garmin').click();
    await page.locator('[data-testid="notice-garmin"] p', { hasText: /^Synced: / }).waitFor();
    expect(messages).toEqual([
      expect.stringMatching(/^Re-sync the whole Garmin history\? .*nothing duplicated/),
    ]);
    await expect.poll(() => fullRows.count()).toBe(before + 1);
  });

  it('withdrawn Garmin permissions: needs re-authorization, with Reconnect, on the page and in the API', async () => {
    garmin.setPermissions(providerUserId, ['HEALTH_EXPORT']);
    await page.getByTestId('sync-garmin').click();
    await page.locator('[data-provider="garmin"][data-status="reauth_required"]').waitFor();
    expect(await page.getByTestId('status-garmin').textContent()).toBe('needs re-authorization');
    expect(await page.getByTestId('connect-garmin').textContent()).toBe('Reconnect Garmin');
    expect(await page.getByTestId('sync-garmin').count()).toBe(0);
    expect(await page.getByTestId('reauth-garmin').textContent()).toMatch(/no longer shares ACTIVITY_EXPORT/);
    expect(await page.getByTestId('notice-garmin').textContent()).toMatch(/^Sync failed: .*ACTIVITY_EXPORT/);
    const api = await page.evaluate(async () => (await fetch('/api/connections')).json());
    expect(api).toEqual([
      expect.objectContaining({
        provider: 'garmin',
        status: 'reauth_required',
        reconnectUrl: expect.stringMatching(/^\/connect\/garmin\?user=\d+$/),
      }),
    ]);
    await shotBoth('needs-reauthorization', page);
  });

  it('pages the activities (keyset on the start) and filters them by provider', async () => {
    const paged = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: opened.trainlytics,
      db: database.db,
      port: 0,
      activitiesPerPage: 5,
    });
    const other = await context.newPage();
    try {
      await other.goto(dashboardUrl.replace(server.baseUrl, paged.baseUrl));
      const rows = other.locator('[data-testid="activities"] tbody tr');
      expect(await rows.count()).toBe(5);
      const first = await rows
        .locator('td.start time')
        .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
      await other.getByTestId('older-activities').click();
      await other.getByTestId('newest-activities').waitFor();
      expect(await rows.count()).toBe(3);
      expect(await other.getByTestId('older-activities').count()).toBe(0);
      await shotBoth('paged-activities', other);
      const second = await rows
        .locator('td.start time')
        .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
      // every activity once, newest first across the pages
      const all = [...first, ...second];
      expect(new Set(all).size).toBe(8);
      expect([...all].sort().reverse()).toEqual(all);

      await other.selectOption('[data-testid="provider-filter"]', 'polar');
      await other.locator('[data-testid="activity-filter"] button').click();
      await other.getByTestId('no-activities').waitFor();
      expect(new URL(other.url()).searchParams.get('provider')).toBe('polar');
      await shotBoth('provider-filter-empty', other);
      await other.selectOption('[data-testid="provider-filter"]', 'garmin');
      await other.locator('[data-testid="activity-filter"] button').click();
      await other.locator('[data-testid="activities"] tbody tr').first().waitFor();
      expect(await rows.count()).toBe(5);
      expect(await other.getByTestId('older-activities').getAttribute('href')).toMatch(
        /provider=garmin&before=/,
      );
      await shotBoth('provider-filter', other);
    } finally {
      await other.close();
      await paged.close();
    }
  });

  it('sport names with their family icon (an accessible name each) and provider marks', async () => {
    await shotBoth('sport-icons', dashboardUrl, async (page) => {
      const cells = page.locator('[data-testid="activities"] td.sport');
      const ids = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-sport-type')!));
      expect(ids.length).toBeGreaterThan(0);
      for (const [i, id] of ids.entries()) {
        const label = sportFamilyLabel(sportFamily(id));
        // one image per cell, named after the family, next to the sport's own name
        const icon = cells.nth(i).getByRole('img', { name: label, exact: true });
        expect(await icon.count()).toBe(1);
        expect(await cells.nth(i).textContent()).toBe(sportTypeDisplayName(id));
      }
      // the icons are drawn from the page's own sprite (no request), with a real shape
      const widths = await page
        .locator('[data-testid="activities"] td.sport svg use')
        .evaluateAll((uses) =>
          uses.map((u) => (u as unknown as { getBBox(): { width: number } }).getBBox().width),
        );
      expect(widths.every((w) => w > 0)).toBe(true);
      // provider marks: decorative (the name beside them says it), on the card and on each row
      expect(
        await page.locator('#card-garmin [data-provider-mark="garmin"] svg[aria-hidden="true"]').count(),
      ).toBe(1);
      expect(
        await page.locator('[data-testid="activities"] td[data-label="Provider"] svg.mark').count(),
      ).toBe(ids.length);
      expect((await page.locator('#card-garmin').textContent())?.trim()).toMatch(/^Garmin/);
    });
  });

  it('units: km for a French browser, mi for en-US, and a choice kept across links (a cookie)', async () => {
    const sizes: Array<[typeof DESKTOP, string]> = [
      [DESKTOP, '1366'],
      [PHONE, '390'],
    ];
    for (const [viewport, suffix] of sizes) {
      const fr = await browser.newContext({ viewport, timezoneId: 'Europe/Paris', locale: 'fr-FR' });
      const french = await fr.newPage();
      await french.goto(dashboardUrl);
      expect(await french.getByTestId('units-select').inputValue()).toBe('km');
      const column = (p: Page, label: string) =>
        p.locator(`[data-testid="activities"] td[data-label="${label}"]`).allTextContents();
      expect((await column(french, 'Distance')).every((d) => /^(\d+\.\d{2} km|[\d,]+ m|—)$/.test(d))).toBe(
        true,
      );
      expect((await column(french, 'Elevation')).every((d) => /^([\d,]+ m|—)$/.test(d))).toBe(true);
      expect(await french.locator('#weekly-title').textContent()).toMatch(/in all$/);
      await shot(french, `units-km-${suffix}`);
      await fr.close();

      const us = await browser.newContext({ viewport, timezoneId: 'America/New_York', locale: 'en-US' });
      const american = await us.newPage();
      await american.goto(dashboardUrl);
      expect(await american.getByTestId('units-select').inputValue()).toBe('mi');
      const miles = await column(american, 'Distance');
      expect(miles.every((d) => /^(\d+\.\d{2} mi|[\d,]+ m|—)$/.test(d))).toBe(true);
      expect(miles.some((d) => d.endsWith(' mi'))).toBe(true);
      expect((await column(american, 'Elevation')).every((d) => /^([\d,]+ ft|—)$/.test(d))).toBe(true);
      await shot(american, `units-mi-${suffix}`);

      // the viewer picks km: the page keeps its user, and the next plain link keeps the choice
      await american.selectOption('[data-testid="units-select"]', 'km');
      await american.getByTestId('units-apply').click();
      await american.waitForURL(/units=km/);
      expect(new URL(american.url()).searchParams.get('user')).toBe(
        new URL(dashboardUrl).searchParams.get('user'),
      );
      await american.goto(dashboardUrl);
      expect(await american.getByTestId('units-select').inputValue()).toBe('km');
      expect((await column(american, 'Distance')).some((d) => d.endsWith(' km'))).toBe(true);
      await us.close();
    }
  });

  it('filters the activities by sport family, with the provider filter, paging and ?user= kept', async () => {
    const ids = await page
      .locator('[data-testid="activities"] td.sport')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-sport-type')!));
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(sportFamily(id), (counts.get(sportFamily(id)) ?? 0) + 1);
    const [family, expected] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const absentFamily = SPORT_FAMILIES.map((f) => f.id).find((f) => !counts.has(f))!;
    const paged = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: opened.trainlytics,
      db: database.db,
      port: 0,
      activitiesPerPage: 1,
    });
    const other = await context.newPage();
    try {
      const userId = new URL(dashboardUrl).searchParams.get('user');
      await other.goto(dashboardUrl.replace(server.baseUrl, paged.baseUrl));
      await other.selectOption('[data-testid="provider-filter"]', 'garmin');
      await other.selectOption('[data-testid="sport-filter"]', family);
      await other.locator('[data-testid="activity-filter"] button').click();
      await other.waitForURL(/sport=/);
      const params = new URL(other.url()).searchParams;
      expect([params.get('user'), params.get('provider'), params.get('sport')]).toEqual([
        userId,
        'garmin',
        family,
      ]);
      await shotBoth('sport-filter', other);
      // every page holds only the family, and following "Older" reaches each of its activities once
      const seen: string[] = [];
      for (;;) {
        const rows = other.locator('[data-testid="activities"] tbody tr');
        const types = await rows
          .locator('td.sport')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-sport-type')!));
        expect(types.every((t) => sportFamily(t) === family)).toBe(true);
        seen.push(
          ...(await rows
            .locator('td.start time')
            .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!))),
        );
        expect(await other.getByTestId('sport-filter').inputValue()).toBe(family);
        const older = other.getByTestId('older-activities');
        if ((await older.count()) === 0) break;
        const href = new URL((await older.getAttribute('href'))!, paged.baseUrl).searchParams;
        expect([href.get('user'), href.get('provider'), href.get('sport')]).toEqual([
          userId,
          'garmin',
          family,
        ]);
        await older.click();
        await other.getByTestId('newest-activities').waitFor();
      }
      expect(seen).toHaveLength(expected);
      expect(new Set(seen).size).toBe(expected);

      await other.selectOption('[data-testid="sport-filter"]', absentFamily);
      await other.locator('[data-testid="activity-filter"] button').click();
      await other.getByTestId('no-activities').waitFor();
      expect(await other.getByTestId('no-activities').textContent()).toBe(
        'No activities match these filters.',
      );
      await shotBoth('sport-filter-empty', other);
    } finally {
      await other.close();
      await paged.close();
    }
  });

  it('pages through activities sharing a start second without losing or repeating one', async () => {
    const user = await ensureUser(database.db, { email: 'ties@example.com' });
    const seeded = await garmin.seedAccount({ activityCount: 12, days: 1, tieSize: 3 });
    garmin.setPermissions(seeded.providerUserId, ['ACTIVITY_EXPORT', 'HISTORICAL_DATA_EXPORT']);
    const t = opened.trainlytics;
    const { url } = await t.connect.start('garmin', {
      userId: user.id,
      redirectUri: `${server.baseUrl}/connect/garmin/callback`,
    });
    const callback = await garmin.approve(url, { providerUserId: seeded.providerUserId });
    const connection = await t.connect.finish('garmin', {
      callbackParams: callback.searchParams,
      userId: user.id,
    });
    expect((await t.sync(connection.id)).activitiesCreated).toBe(12);
    const paged = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: t,
      db: database.db,
      port: 0,
      activitiesPerPage: 4,
    });
    const walker = await context.newPage();
    try {
      await walker.goto(`${paged.baseUrl}/dashboard?user=${user.id}`);
      const seen: string[] = [];
      for (;;) {
        const names = await walker.locator('[data-testid="activities"] td.name').allTextContents();
        const starts = await walker
          .locator('[data-testid="activities"] td.start time')
          .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
        seen.push(...names.map((n, i) => `${starts[i]} ${n}`));
        const older = walker.getByTestId('older-activities');
        if ((await older.count()) === 0) break;
        await older.click();
        await walker.getByTestId('newest-activities').waitFor();
      }
      expect(seen).toHaveLength(12);
      expect(new Set(seen).size).toBe(12);
    } finally {
      await walker.close();
      await paged.close();
    }

    // Disconnected: the activities stay, each marked.
    await t.disconnect(connection.id, { revoke: true });
    await shotBoth(
      'disconnected-with-activities',
      `${server.baseUrl}/dashboard?user=${user.id}`,
      async (page) => {
        expect(await page.getByTestId('status-garmin').textContent()).toBe('disconnected');
        const rows = page.locator('[data-testid="activities"] tbody tr');
        expect(await rows.count()).toBe(await page.getByTestId('disconnected-tag').count());
        expect(await rows.count()).toBeGreaterThan(0);
      },
    );
  });

  it('a user who never connected: every provider to connect, no activities; the user selector', async () => {
    const user = await ensureUser(database.db, { email: 'never@example.com' });
    await shotBoth('never-connected', `${server.baseUrl}/dashboard?user=${user.id}`, async (page) => {
      expect(await page.locator('article.provider[data-status="never"]').count()).toBe(3);
      expect(await page.getByTestId('no-activities').isVisible()).toBe(true);
    });
    // Without ?user= an admin gets the first user and the selector of all of them.
    await shotBoth('user-selector', `${server.baseUrl}/dashboard`, async (page) => {
      expect(await page.locator('[data-testid="user-select"] option').count()).toBeGreaterThanOrEqual(3);
    });
    await shotBoth('unknown-user', `${server.baseUrl}/dashboard?user=999999`, async (page) => {
      expect(await page.getByText('No user with id 999999').isVisible()).toBe(true);
    });
  });

  it('connected, first sync still to come: the card says it is pending', async () => {
    const user = await ensureUser(database.db, { email: 'pending@example.com' });
    const seeded = await garmin.seedAccount({ activityCount: 2, days: 1 });
    const t = opened.trainlytics;
    const { url } = await t.connect.start('garmin', {
      userId: user.id,
      redirectUri: `${server.baseUrl}/connect/garmin/callback`,
    });
    const callback = await garmin.approve(url, { providerUserId: seeded.providerUserId });
    // finished through the API, so the server's sync-after-connect has not run
    await t.connect.finish('garmin', { callbackParams: callback.searchParams, userId: user.id });
    await shotBoth('sync-pending', `${server.baseUrl}/dashboard?user=${user.id}`, async (page) => {
      expect(await page.locator('[data-provider="garmin"]').getAttribute('data-pending')).toBe('true');
    });
  });

  it('the pages outside the dashboard: a failed connection, not found, the admin sign-in', async () => {
    await shotBoth(
      'connect-failure',
      `${server.baseUrl}/connect/garmin/callback?state=forged&code=x`,
      async (page) => {
        expect(await page.getByRole('heading', { name: 'Garmin was not connected' }).isVisible()).toBe(true);
        expect(await page.getByTestId('message').isVisible()).toBe(true);
      },
    );
    await shotBoth('not-found', `${server.baseUrl}/no-such-page?user=7`, async (page) => {
      expect(await page.getByRole('heading', { name: 'Not found' }).isVisible()).toBe(true);
      // the way back keeps the user the page was about
      expect(await page.getByRole('link', { name: 'Back to the dashboard' }).getAttribute('href')).toBe(
        '/dashboard?user=7',
      );
      expect(await page.locator('body').textContent()).not.toMatch(/^\s*[{[]/);
    });
    const guarded = await startHostServer({
      ...adminTokenAuth({ token: 'states-'.padEnd(40, 'x') }),
      trainlytics: opened.trainlytics,
      db: database.db,
      port: 0,
    });
    try {
      await shotBoth('login', `${guarded.baseUrl}/dashboard`, async (page) => {
        expect(new URL(page.url()).pathname).toBe('/login');
      });
      await shotBoth('login-wrong-token', `${guarded.baseUrl}/login`, async (page) => {
        await page.fill('input[name="token"]', 'not-the-token');
        await page.getByTestId('sign-in').click();
        await page.getByTestId('login-error').waitFor();
      });
    } finally {
      await guarded.close();
    }
  });

  it.each([360, 390])(
    'fits a %i px wide phone: no horizontal overflow, Created/Updated/Error visible',
    async (width) => {
      const phone = await browser.newContext({
        viewport: { width, height: 844 },
        timezoneId: 'Europe/Paris',
      });
      const small = await phone.newPage();
      await small.goto(dashboardUrl);
      const { scrollWidth, innerWidth } = await small.evaluate<{ scrollWidth: number; innerWidth: number }>(
        '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
      );
      expect(innerWidth).toBe(width);
      expect(scrollWidth).toBeLessThanOrEqual(width);
      const failed = small
        .locator('[data-provider="garmin"] table.history tbody tr[data-status="failed"]')
        .first();
      for (const label of ['Created', 'Updated', 'Error']) {
        const cell = failed.locator(`td[data-label="${label}"]`);
        expect(await cell.isVisible()).toBe(true);
        const box = (await cell.boundingBox())!;
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
      }
      await shot(small, `needs-reauthorization-${width}`);
      const distance = small
        .locator('[data-testid="activities"] tbody tr')
        .first()
        .locator('td[data-label="Duration"]');
      const box = (await distance.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      await phone.close();
    },
  );

  afterAll(async () => {
    await context?.close();
  });
});

describe('a first sync in progress, page by page', () => {
  let strava: StravaSandbox;
  let stravaOpened: OpenedTrainlytics;
  let stravaServer: HostServer;
  /** The n-th request for a page of the activity list waits for `release` (the sync stays mid-way). */
  let holdAt = 4;
  let listCalls = 0;
  let release: () => void = () => {};
  let held = Promise.resolve();
  const hold = () => {
    listCalls = 0;
    held = new Promise<void>((resolve) => (release = resolve));
  };

  beforeAll(async () => {
    strava = await startStravaSandbox({ provider: { pageSize: 5 } });
    const gated = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname.endsWith('/athlete/activities') && ++listCalls === holdAt) await held;
      return fetch(input, init);
    }) as typeof fetch;
    stravaOpened = await openTrainlytics({
      env: {},
      cwd: process.cwd(),
      database,
      providers: [strava.createProvider({ fetch: gated })],
    });
    stravaServer = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: stravaOpened.trainlytics,
      db: database.db,
      port: 0,
      syncAfterConnect: true,
    });
  });
  afterAll(async () => {
    release();
    await stravaServer?.close();
    await stravaOpened?.close();
    await strava?.close();
  });

  it('says which page it reached and how many activities arrived, in place, then the activities', async () => {
    const user = await ensureUser(database.db, { email: 'progress@example.com' });
    const { providerUserId } = await strava.seedAccount({ activityCount: 18, seed: 31 });
    const url = `${stravaServer.baseUrl}/dashboard?user=${user.id}`;
    const page = await pageAt(DESKTOP);
    holdAt = 4;
    hold();
    await page.goto(url);
    await page.getByTestId('connect-strava').click();
    await page.waitForURL(`${strava.baseUrl}/**`);
    await page.selectOption('#athlete_id', providerUserId);
    await page.click('#authorize');
    await page.waitForURL(url);
    // three pages of five committed, the fourth held: the status line says so, in place
    const state = page.getByTestId('state-strava');
    await page.locator('[data-testid="state-strava"]', { hasText: 'page 3' }).waitFor();
    const text = (await state.textContent()) ?? '';
    const so = /^First sync: page 3 · (\d+) activit(?:y|ies) so far…$/.exec(text);
    expect(so, text).not.toBeNull();
    // the count is what the three pages stored (the list hides private activities, as Strava does)
    const soFar = Number(so![1]);
    expect(soFar).toBeGreaterThan(0);
    expect(soFar).toBeLessThanOrEqual(15);
    expect(await state.getAttribute('role')).toBe('status');
    expect(await page.locator('[data-testid="activities"] tbody tr').count()).toBe(soFar);
    await shotBoth('first-sync-progress', page, async (phone) => {
      expect(await phone.getByTestId('state-strava').textContent()).toBe(text);
    });

    release();
    await page.locator('[data-provider="strava"] table.history tbody tr[data-status="success"]').waitFor();
    await expect.poll(() => state.textContent()).toBe('');
    const total = Number(await page.getByTestId('count-strava').textContent());
    expect(total).toBeGreaterThan(soFar);
    expect(await page.locator('[data-testid="activities"] tbody tr').count()).toBe(total);

    // Full re-sync: the page keeps updating while the click awaits its answer, page by page
    holdAt = 3;
    hold();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId('full-sync-strava').click();
    await page.locator('[data-testid="state-strava"]', { hasText: 'page 2' }).waitFor();
    expect(await state.textContent()).toMatch(/^Syncing: page 2 · \d+ activit(y|ies) so far…$/);
    await shotBoth('sync-progress', page, async (phone) => {
      expect(await phone.getByTestId('state-strava').textContent()).toMatch(/^Syncing: page 2 · /);
    });
    release();
    await page.locator('[data-testid="notice-strava"] p', { hasText: /^Synced: / }).waitFor();
  });
});
