import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityPage } from '../../src/provider/v1/activities';
import { readAheadPages } from '../../src/provider-utils/read-ahead';

/** A few turns of the microtask queue (a request or a commit that takes "some time", no timers). */
async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const page = (i: number): ActivityPage => ({ activities: [], rejected: [], cursor: { page: i } });

/**
 * A walk of `count` pages (fails on page `failAt` when given) that records what a sandbox would see: how
 * many requests started, how many pages core has taken, and whether anything ran after `return()`.
 */
function recordedWalk(count: number, delays: number[], failAt: number | null) {
  const log = { started: 0, taken: 0, mostAhead: 0, closed: false, afterClose: false };
  async function* walk(): AsyncGenerator<ActivityPage> {
    try {
      for (let i = 0; i < count; i++) {
        if (log.closed) log.afterClose = true;
        log.started++;
        log.mostAhead = Math.max(log.mostAhead, log.started - log.taken);
        await ticks(delays[i % delays.length] ?? 0);
        if (i === failAt) throw new Error(`request ${i} failed`);
        yield page(i);
      }
    } finally {
      log.closed = true;
    }
  }
  return { log, walk };
}

describe('readAheadPages', () => {
  it('property: core gets the same pages in order, an error after the pages before it, never more than N ahead, and the walk is closed when core stops', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 }),
        fc.constantFrom<1 | 2>(1, 2),
        fc.array(fc.nat(6), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(6), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(12)),
        fc.option(fc.nat(12)),
        async (count, depth, fetchDelays, storeDelays, failAt, stopAfter) => {
          const { log, walk } = recordedWalk(count, fetchDelays, failAt);
          const seen: number[] = [];
          let error: unknown = null;
          try {
            for await (const p of readAheadPages(walk(), { pages: depth })) {
              log.taken++;
              seen.push((p.cursor as { page: number }).page);
              if (stopAfter !== null && seen.length > stopAfter) break;
              await ticks(storeDelays[seen.length % storeDelays.length] ?? 0); // core storing the page
            }
          } catch (e) {
            error = e;
          }
          const failing = failAt !== null && failAt < count ? failAt : null;
          const served = Math.min(count, failing ?? count, stopAfter === null ? count : stopAfter + 1);
          expect(seen).toEqual(Array.from({ length: served }, (_, i) => i));
          const stoppedFirst = stopAfter !== null && stopAfter + 1 <= (failing ?? count);
          expect(error === null).toBe(failing === null || stoppedFirst);
          if (error) expect((error as Error).message).toBe(`request ${failing} failed`);
          // core holds one page; at most `depth` more are requested or waiting
          expect(log.mostAhead).toBeLessThanOrEqual(depth + 1);
          expect(log.closed || count === 0).toBe(true);
          expect(log.afterClose).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('overlaps: the next request starts before core has finished storing the page', async () => {
    const { log, walk } = recordedWalk(3, [0], null);
    const startedWhileStoring: number[] = [];
    for await (const _ of readAheadPages(walk())) {
      log.taken++;
      await ticks(5);
      startedWhileStoring.push(log.started - log.taken);
    }
    expect(startedWhileStoring).toEqual([1, 1, 0]);
  });

  it("refuses to read past a page with a commit hook (Polar's transactional flow)", async () => {
    async function* transactional(): AsyncGenerator<ActivityPage> {
      yield { ...page(0), commit: async () => {} };
      yield page(1);
    }
    const seen: ActivityPage[] = [];
    await expect(async () => {
      for await (const p of readAheadPages(transactional())) seen.push(p);
    }).rejects.toMatchObject({ name: 'ConfigurationError' });
    expect(seen).toEqual([]);
  });

  it('reads 1 or 2 pages ahead, nothing else', async () => {
    const pages = readAheadPages(recordedWalk(1, [0], null).walk(), { pages: 3 as never });
    await expect(pages.next()).rejects.toMatchObject({ name: 'ConfigurationError' });
  });
});
