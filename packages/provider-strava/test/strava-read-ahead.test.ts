import type { FetchFunction } from '@trainlytics/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { type StravaProvider, strava } from '../src/strava-provider';
import { collectPages, connectAthlete } from './harness';

let sandbox: StravaSandbox;
let provider: StravaProvider;

beforeAll(async () => {
  sandbox = await startStravaSandbox({ provider: { pageSize: 50 } });
  provider = strava(sandbox.providerOptions());
});

afterAll(async () => {
  await sandbox.close();
});

/** A fetch that counts the list requests and lets a test wait until the `n`th has been sent. */
function countingFetch() {
  let sent = 0;
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const fetch: FetchFunction = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/athlete/activities')) {
      sent++;
      for (const w of waiting.filter((x) => x.n <= sent)) w.resolve();
    }
    return globalThis.fetch(input, init);
  };
  const sentAtLeast = (n: number) =>
    n <= sent ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  return { fetch, sentAtLeast, sent: () => sent };
}

it('fetches the next page while core holds the current one, one page ahead at most', async () => {
  const { providerUserId } = await sandbox.seedAthlete({ activityCount: 120 });
  const counting = countingFetch();
  const { ctx } = await connectAthlete(sandbox, provider, providerUserId, { fetch: counting.fetch });
  const aheadWhileHolding: number[] = [];
  let taken = 0;
  for await (const _ of provider.listActivities(ctx, { cursor: null, full: true })) {
    taken++;
    // core is "storing" the first page: the second request goes out meanwhile
    if (taken === 1) await counting.sentAtLeast(2);
    aheadWhileHolding.push(counting.sent() - taken);
  }
  expect(taken).toBeGreaterThanOrEqual(3);
  expect(aheadWhileHolding[0]).toBe(1);
  expect(aheadWhileHolding.every((n) => n === 0 || n === 1)).toBe(true); // never more than one ahead
});

it('the pages and their cursors are those of the walk without read-ahead', async () => {
  const { providerUserId } = await sandbox.seedAthlete({ activityCount: 130 });
  const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
  const pages = await collectPages(provider, ctx, { cursor: null, full: true });
  const ids = pages.flatMap((p) => p.activities.map((a) => a.providerActivityId));
  expect(new Set(ids).size).toBe(130);
  expect(pages.every((p) => p.commit === undefined)).toBe(true);
  // resuming from any page's cursor reads what follows it (each cursor is the page's own)
  const resumed = await collectPages(provider, ctx, { cursor: pages[1]!.cursor, full: true });
  const after = resumed.flatMap((p) => p.activities.map((a) => a.providerActivityId));
  expect(
    new Set([...ids.slice(0, pages[0]!.activities.length + pages[1]!.activities.length), ...after]).size,
  ).toBe(130);
});
