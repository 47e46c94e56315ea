import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAINTEXT_WARNING } from '../src/encryption-check';
import { runCli } from './helpers/run-cli';

let cwd: string;

beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-demo-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('trainlytics demo --headless', () => {
  it('runs the whole flow on the embedded database and reports it as JSON', async () => {
    const run = await runCli(['demo', '--headless', '--json', '--activities', '80'], { cwd });
    // no TRAINLYTICS_ENCRYPTION_KEY here: the one line on stderr is the plaintext warning
    expect(run.stderr).toBe(`${PLAINTEXT_WARNING}\n`);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    // one timeline: every Garmin workout the Strava sandbox holds an upload of is one workout of two providers
    const { garminUploads, shared, activities, workouts } = report.timeline;
    expect(garminUploads).toBeGreaterThan(20);
    expect(shared).toBe(garminUploads);
    expect([activities, workouts]).toEqual([243, 243 - garminUploads]);
    expect(report.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\?user=\d+$/);
    expect(report.providers.map((p: { provider: string }) => p.provider).sort()).toEqual([
      'garmin',
      'polar',
      'strava',
    ]);
    for (const p of report.providers) {
      expect(p.fullSync.status).toBe('success');
      expect(p.incrementalSync).toMatchObject({ status: 'success', activitiesCreated: 0 });
      expect(p.webhookActivities).toBe(1);
      // Every seeded activity arrived (by pull or, for Garmin, by the backfill's webhooks), plus the webhook's one.
      expect(p.activities).toBe(81);
      expect(Object.values(p.sportTypes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(81);
      expect(Object.keys(p.sportTypes).length).toBeGreaterThan(3);
      expect(p.distanceKm).toBeGreaterThan(0);
      expect(p.durationHours).toBeGreaterThan(0);
      expect(p.requests).toBeGreaterThan(0);
    }
  });

  it('prints the summary table against PostgreSQL (DATABASE_URL) and can run again', async () => {
    const database = await createTestDatabase({ prefix: 'tl_cli_demo' });
    try {
      for (let round = 0; round < 2; round++) {
        const run = await runCli(['demo', '--headless', '--activities', '40'], {
          cwd,
          env: { DATABASE_URL: database.connectionString },
        });
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(
          new RegExp(`^Database: PostgreSQL at 127\\.0\\.0\\.1:5432/${database.name}$`, 'm'),
        );
        expect(run.stdout).toMatch(/^Incremental sync Strava: 0 created/m);
        expect(run.stdout).toMatch(/^Webhook Polar: answered 200, 1 new activity$/m);
        const table = run.stdout.slice(run.stdout.indexOf('provider  activities'));
        const lines = table.split('\n');
        expect(lines[0]).toMatch(/^provider\s+activities\s+sport types\s+distance\s+duration\s+requests$/);
        for (const name of ['Strava', 'Garmin', 'Polar']) {
          expect(table).toMatch(new RegExp(`^${name}\\s+41\\s+\\d+ \\(`, 'm'));
        }
        expect(run.stdout).toMatch(/Demo finished: every step worked\.\n$/);
      }
    } finally {
      await database.drop();
    }
  });
});
