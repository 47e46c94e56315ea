import { FakeClock } from '@trainlytics/core';
import { afterEach, describe, expect, it } from 'vitest';
import { garmin } from '../src/garmin-provider';
import { type GarminSandbox, startGarminSandbox, type WindowBounds } from '../src/sandbox';
import { createHarness } from './harness';

/**
 * Garmin does not document whether `uploadStartTimeInSeconds`/`uploadEndTimeInSeconds` (and the backfill's
 * summary-time bounds) are inclusive. Under each reading the sandbox can take, a summary uploaded exactly
 * on the boundary second of the plugin's windows must be fetched, and yielded once per sync.
 */

const ALL_BOUNDS: WindowBounds[] = ['[)', '[]', '()', '(]'];

let sandbox: GarminSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function setup(bounds: WindowBounds) {
  const clock = new FakeClock('2026-03-01T12:00:00Z');
  sandbox = await startGarminSandbox({ clock, seed: 3, windowBounds: bounds });
  const provider = garmin({ ...sandbox.env(), env: sandbox.env() });
  const harness = createHarness(provider, clock);
  const connect = async () => {
    const { providerUserId } = await sandbox!.seedAccount({ activityCount: 0 });
    const conn = await harness.connect((url) => sandbox!.approve(url, { providerUserId }));
    return { providerUserId, ctx: conn.ctx };
  };
  return { clock, sandbox, harness, connect };
}

/** The upload windows the plugin asked for since `from` (index into the harness's request log). */
function pullWindows(requests: Array<{ url: string }>, from = 0): Array<[number, number]> {
  return requests
    .slice(from)
    .map((r) => new URL(r.url))
    .filter((u) => u.pathname.endsWith('/activities') && u.searchParams.has('uploadStartTimeInSeconds'))
    .map((u) => [
      Number(u.searchParams.get('uploadStartTimeInSeconds')),
      Number(u.searchParams.get('uploadEndTimeInSeconds')),
    ]);
}

function countIds(ids: string[]) {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe.each(ALL_BOUNDS)('Garmin upload windows read as %s', (bounds) => {
  it('a summary uploaded exactly on a window boundary is fetched, once per sync', async () => {
    const { clock, sandbox, harness, connect } = await setup(bounds);
    // Learn the windows a first sync asks for (deterministic for a clock and a cursor).
    const probe = await connect();
    const mark = harness.requests.length;
    await harness.sync(probe.ctx, null);
    const windows = pullWindows(harness.requests, mark);
    expect(windows.length).toBeGreaterThan(1);

    // A fresh user with a summary uploaded on every window's start and end second, up to now (but not the
    // first window's start: that is where the first sync's 7 days begin, not a boundary between windows).
    const { providerUserId, ctx } = await connect();
    const nowS = clock.now().getTime() / 1000;
    const horizon = windows[0]![0];
    const seconds = [...new Set(windows.flat())].filter((s) => s <= nowS && s > horizon);
    const added: string[] = [];
    for (const s of seconds) {
      added.push(await sandbox.addActivity(providerUserId, { uploadTimeInSeconds: s }));
    }
    const first = await harness.sync(ctx, null);
    const counts = countIds(first.activities.map((a) => a.providerActivityId));
    expect(added.filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual([...added].sort());

    // The next sync starts from the cursor: an upload in the cursor's second (the second the first sync
    // ran in, after it read it) is found.
    const through = (first.cursor as { uploadedThrough: number }).uploadedThrough;
    const late = [await sandbox.addActivity(providerUserId, { uploadTimeInSeconds: through })];
    clock.advance(3_600_000);
    late.push(await sandbox.addActivity(providerUserId));
    const second = await harness.sync(ctx, first.cursor);
    const again = countIds(second.activities.map((a) => a.providerActivityId));
    expect(late.filter((id) => again.get(id) !== 1)).toEqual([]);
    expect([...again.values()].every((c) => c === 1)).toBe(true);
  });

  it('a history whose activities share start and upload seconds is pulled whole, once', async () => {
    const { clock, sandbox, harness } = await setup(bounds);
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 40, days: 5, tieSize: 4 });
    const { ctx } = await harness.connect((url) => sandbox.approve(url, { providerUserId }));
    const nowS = clock.now().getTime() / 1000;
    const expected = sandbox
      .summariesStartedBetween(providerUserId, 0, nowS + 1)
      .filter((s) => !s.isParent)
      .map((s) => s.summaryId);
    const starts = sandbox
      .summariesStartedBetween(providerUserId, 0, nowS + 1)
      .map((s) => s.startTimeInSeconds);
    expect(new Set(starts).size).toBeLessThan(starts.length); // ties are there
    const result = await harness.sync(ctx, null);
    const counts = countIds(result.activities.map((a) => a.providerActivityId));
    expect([...counts.keys()].sort()).toEqual([...expected].sort());
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });

  it('a backfill window boundary second is requested by at least one window', async () => {
    const { clock, harness, connect } = await setup(bounds);
    const { ctx } = await connect();
    const mark = harness.requests.length;
    await harness.sync(ctx, null, true);
    const windows = harness.requests
      .slice(mark)
      .map((r) => new URL(r.url))
      .filter((u) => u.pathname.endsWith('/backfill/activities'))
      .map((u): [number, number] => [
        Number(u.searchParams.get('summaryStartTimeInSeconds')),
        Number(u.searchParams.get('summaryEndTimeInSeconds')),
      ]);
    expect(windows.length).toBeGreaterThan(1);
    const covered = (t: number) =>
      windows.some(([a, b]) => (bounds[0] === '[' ? t >= a : t > a) && (bounds[1] === ']' ? t <= b : t < b));
    // every second from the oldest requested start to now, boundaries included, is in some window
    const nowS = clock.now().getTime() / 1000;
    const oldest = Math.min(...windows.map(([a]) => a));
    const edges = windows.flat().filter((t) => t > oldest && t < nowS);
    expect(edges.filter((t) => !covered(t))).toEqual([]);
  });
});
