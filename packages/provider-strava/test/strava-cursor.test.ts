import { describe, expect, it } from 'vitest';
import {
  advanceStravaCursor,
  finishStravaPass,
  MAX_SHORT_STOPS,
  MAX_TIE_WALKS,
  readStravaCursor,
  type StravaSyncCursor,
  startStravaPass,
} from '../src/strava-provider';

const at = (id: string, iso: string) => ({ id, start_date: iso });
const secs = (iso: string) => Date.parse(iso) / 1000;
const D1 = '2026-01-01T00:00:00Z';
const D2 = '2026-01-02T00:00:00Z';
const D3 = '2026-01-03T00:00:00Z';

describe('the Strava sync cursor', () => {
  it('reads anything unrecognised as a fresh start', () => {
    expect(readStravaCursor(null)).toEqual({ v: 2, after: null, afterIds: [] });
    expect(readStravaCursor('legacy' as never)).toEqual({ v: 2, after: null, afterIds: [] });
    expect(readStravaCursor({ v: 2, after: 'x', pass: { page: -3 } })).toEqual({
      v: 2,
      after: null,
      afterIds: [],
      pass: { after: null, before: null, page: 1, seen: [], newest: null, newestIds: [] },
    });
  });

  it('migrates a stored v1 cursor: the high-water second and the window boundary are read again', () => {
    // between syncs: the next incremental pass asks for after = 1767225600 - 1
    const idle = readStravaCursor({ v: 1, after: 1767225600 });
    expect(idle).toEqual({ v: 2, after: 1767225600, afterIds: [] });
    expect(startStravaPass(idle, false).pass).toMatchObject({ after: 1767225599, before: null, page: 1 });
    // mid-backfill newest first: v1 excluded the boundary second `before`; v2 includes it
    expect(
      readStravaCursor({
        v: 1,
        after: 1767225600,
        pass: { after: null, before: 1700000000, page: 3, newest: 1767300000 },
      }).pass,
    ).toEqual({ after: null, before: 1700000001, page: 1, seen: [], newest: 1767300000, newestIds: [] });
    // mid-pass oldest first
    expect(
      readStravaCursor({ v: 1, after: 10, pass: { after: 500, before: null, page: 1, newest: 500 } }).pass,
    ).toMatchObject({ after: 499, before: null, page: 1 });
  });

  it('narrows to the boundary second inclusively and drops its re-read activities', () => {
    const start = startStravaPass({ v: 2, after: null, afterIds: [] }, true);
    const desc = advanceStravaCursor(start, [at('3', D3), at('2', D2), at('1', D1)]);
    expect(desc.cursor.pass).toEqual({
      after: null,
      before: secs(D1) + 1,
      page: 1,
      seen: ['1'],
      newest: secs(D3),
      newestIds: ['3'],
    });
    // the next page starts again with D1: '1' is not yielded twice, '0' (same second) is new
    const next = advanceStravaCursor(desc.cursor, [at('1', D1), at('0', D1)]);
    expect(next.fresh).toEqual([at('0', D1)]);
    expect(next.done).toBe(false);

    // a full page oldest first (a short one would end the pass: see the next tests)
    const asc = advanceStravaCursor(
      startStravaPass({ v: 2, after: 100, afterIds: [] }, false),
      [at('1', D1), at('2', D2), at('2b', D2)],
      3,
    );
    expect(asc.cursor.pass).toMatchObject({ after: secs(D2) - 1, before: null, seen: ['2', '2b'] });
    expect(asc.cursor.order).toBe('asc');
  });

  it('never asks for the same window and page twice, even when a malformed start puts an item outside it', () => {
    // found by the payload property (seed 516374561): a listing whose every page had one item with a start
    // outside the window re-read the same page 1 until the rate limit stopped it (636 requests for 8 items)
    const start = startStravaPass({ v: 2, after: null, afterIds: [] }, true);
    const narrowed = advanceStravaCursor(start, [at('3', D3), at('2', D2)]).cursor;
    expect(narrowed.pass).toMatchObject({ before: secs(D2) + 1, page: 1 });
    // the provider now claims a start after the window (malformed), and the page ends at its edge
    const page = [at('9', D3), at('2', D2)];
    const next = advanceStravaCursor(narrowed, page).cursor;
    expect(next.pass).toMatchObject({ before: secs(D2) + 1, page: 2 });
    const after = advanceStravaCursor(next, page).cursor;
    expect(after.pass).toMatchObject({ before: secs(D2) + 1, page: 3 });
  });

  it('pages by number within a window when a page holds a single second', () => {
    const start = startStravaPass({ v: 2, after: null, afterIds: [] }, true);
    const tied = advanceStravaCursor(start, [at('a', D2), at('b', D2)]);
    // the narrowing changes the window: its page 1 is read again (hidden activities of newer seconds may
    // have taken slots of this page: ADR 0022, addendum); what this page yielded is `seen`
    expect(tied.cursor.pass).toMatchObject({ before: secs(D2) + 1, after: null, page: 1, seen: ['a', 'b'] });
    const reread = advanceStravaCursor(tied.cursor, [at('a', D2), at('b', D2)]);
    expect(reread.fresh).toEqual([]);
    // the window already is that second's side: page on
    expect(reread.cursor.pass).toMatchObject({ before: secs(D2) + 1, after: null, page: 2 });
    const more = advanceStravaCursor(reread.cursor, [at('c', D2), at('d', D2)]);
    expect(more.cursor.pass).toMatchObject({ before: secs(D2) + 1, page: 3 });
    const unreadable = advanceStravaCursor(more.cursor, [{ id: 'e', start_date: 12 }, { id: 'f' }]);
    expect(unreadable.cursor.pass).toMatchObject({ page: 4, newest: secs(D2) });
  });

  it('a short page of one second that narrows the window is read again as the narrowed page 1 (hidden slots)', () => {
    // ADR 0022, addendum (property seed -1341962711): pages of 3, oldest first, order not known yet. Page 2
    // of `(D1 - 1, ∞)` held two hidden D2 activities and 'z' of D3; the narrowed window `(D3 - 1, ∞)` holds
    // 'z' and 'w' on its page 1, so going on at its page 2 skipped 'w'.
    const start = startStravaPass({ v: 2, after: secs(D1), afterIds: [], shortStops: 3 }, false);
    const first = advanceStravaCursor(start, [at('x', D1), at('y', D1)], 3);
    expect(first.cursor.pass).toMatchObject({ after: secs(D1) - 1, page: 2, second: secs(D1) });
    const short = advanceStravaCursor(first.cursor, [at('z', D3)], 3);
    expect(short.cursor.order).toBe('asc');
    expect(short.cursor.pass).toMatchObject({ after: secs(D3) - 1, before: null, page: 1 });
    const reread = advanceStravaCursor(short.cursor, [at('z', D3), at('w', D3), at('v', D3)], 3);
    expect(reread.fresh).toEqual([at('w', D3), at('v', D3)]);
    // newest first the same: hidden newer activities took slots of a window's page 1
    const desc = advanceStravaCursor(
      startStravaPass({ v: 2, after: null, afterIds: [] }, true),
      [at('a', D1)],
      3,
    );
    expect(desc.cursor.pass).toMatchObject({ after: null, before: secs(D1) + 1, page: 1, seen: ['a'] });
    const again = advanceStravaCursor(desc.cursor, [at('a', D1), at('b', D1)], 3);
    expect(again.fresh).toEqual([at('b', D1)]);
    expect(again.cursor.pass).toMatchObject({ before: secs(D1) + 1, page: 2 });
  });

  it('walks a second that fills a page exactly, twice, then the rest of the window without it', () => {
    const start = startStravaPass({ v: 2, after: null, afterIds: [] }, true);
    // newest first, pages of 2: page 1 is all D2, so it is page 1 of the window of exactly D2 too
    const full = advanceStravaCursor(start, [at('a', D2), at('b', D2)], 2);
    expect(full.fresh).toEqual([at('a', D2), at('b', D2)]);
    expect(full.cursor.pass).toMatchObject({
      after: secs(D2) - 1,
      before: secs(D2) + 1,
      page: 2,
      seen: ['a', 'b'],
      tie: { second: secs(D2), walks: 1, found: true },
      queued: [{ after: null, before: secs(D2) }],
    });
    // 'a' was deleted before page 2: 'c' moved into page 1 and page 2 is empty; the second walk finds it
    const shifted = advanceStravaCursor(full.cursor, [], 2);
    expect(shifted.done).toBe(false);
    expect(shifted.cursor.pass).toMatchObject({ page: 1, tie: { walks: 2, found: false } });
    const again = advanceStravaCursor(shifted.cursor, [at('b', D2), at('c', D2)], 2);
    expect(again.fresh).toEqual([at('c', D2)]);
    const walked = advanceStravaCursor(again.cursor, [], 2);
    expect(walked.cursor.pass).toMatchObject({ page: 1, tie: { walks: 3, found: false } });
    // a walk that finds nothing new ends the second: the rest of the window, D2 excluded
    const reread = advanceStravaCursor(walked.cursor, [at('b', D2), at('c', D2)], 2);
    expect(reread.fresh).toEqual([]);
    const rest = advanceStravaCursor(reread.cursor, [], 2);
    // `seen` stays (it can hold what the queued window holds when the order was not known: ADR 0022)
    expect(rest.cursor.pass).toMatchObject({ after: null, before: secs(D2), page: 1, seen: ['a', 'b', 'c'] });
    expect(rest.cursor.pass?.tie).toBeUndefined();
    expect(rest.cursor.pass?.queued).toBeUndefined();
    const end = advanceStravaCursor(rest.cursor, [], 2);
    expect(end).toMatchObject({ done: true, cursor: { v: 2, after: secs(D2), afterIds: ['a', 'b', 'c'] } });
  });

  it('oldest first with the order unknown, a full second walks both sides of it afterwards', () => {
    const start = startStravaPass({ v: 2, after: secs(D1), afterIds: [] }, false);
    const full = advanceStravaCursor(start, [at('a', D2), at('b', D2)], 2);
    // the window's own order may differ from the exact second's: its walk starts at page 1
    expect(full.cursor.pass).toMatchObject({
      after: secs(D2) - 1,
      before: secs(D2) + 1,
      page: 1,
      queued: [
        { after: secs(D1) - 1, before: secs(D2) },
        { after: secs(D2), before: null },
      ],
    });
    // the high-water second itself (nothing older can be in the window): only the newer side
    const edge = startStravaPass({ v: 2, after: secs(D2), afterIds: ['a'] }, false);
    const own = advanceStravaCursor(edge, [at('a', D2), at('b', D2)], 2);
    expect(own.fresh).toEqual([at('b', D2)]);
    expect(own.cursor.pass?.queued).toEqual([{ after: secs(D2), before: null }]);
    // a stored cursor keeps the walk and the windows to come
    expect(readStravaCursor(JSON.parse(JSON.stringify(full.cursor))).pass).toEqual(full.cursor.pass);
  });

  it('a queued window keeps what the pass yielded through a narrowing of the window before it', () => {
    // Property seed -187466855 (hidden activities among tied seconds): pages of 2, an `after`-only pass
    // answered newest first, hidden activities taking slots. D3's two activities fill a page before the order
    // is known, so both sides are queued; the older side's first page spans D2 and D1 and narrows that window.
    // The narrowing kept only its boundary's ids, and the newer side then yielded 'a' of D4 a second time.
    const D4 = '2026-01-04T00:00:00Z';
    const D0 = '2025-12-31T00:00:00Z';
    const yielded: string[] = [];
    const step = (cursor: StravaSyncCursor, items: ReturnType<typeof at>[]) => {
      const next = advanceStravaCursor(cursor, items, 2);
      yielded.push(...(next.fresh as { id: string }[]).map((i) => i.id));
      return next;
    };
    let c = step(startStravaPass({ v: 2, after: secs(D0), afterIds: [] }, false), [at('a', D4)]).cursor;
    c = step(c, [at('c', D4)]).cursor;
    c = step(c, [at('x', D3), at('y', D3)]).cursor; // a full page of D3: both sides queued
    expect(c.pass?.queued).toEqual([
      { after: secs(D0) - 1, before: secs(D3) },
      { after: secs(D3), before: null },
    ]);
    c = step(c, []).cursor; // D3 walked (page 2 empty), then again from page 1
    c = step(c, [at('x', D3), at('y', D3)]).cursor;
    c = step(c, []).cursor; // nothing new: the older side
    expect(c.pass).toMatchObject({ after: secs(D0) - 1, before: secs(D3), page: 1 });
    c = step(c, [at('d', D2), at('e', D1)]).cursor; // spans two seconds: narrows to D1, inclusively
    expect(c.pass).toMatchObject({ before: secs(D1) + 1, page: 1 });
    c = step(c, [at('e', D1)]).cursor;
    c = step(c, []).cursor; // the newer side, which holds D4 again
    expect(c.pass).toMatchObject({ after: secs(D3), before: null, page: 1 });
    const newer = c;
    const last = step(c, [at('a', D4)]);
    expect(yielded).toEqual(['a', 'c', 'x', 'y', 'd', 'e']);
    expect(last.fresh).toEqual([]);

    // The newer side is the last queued window: an upload to D5 since makes its first page span D5 and D4,
    // and the narrowing to D4 (no window queued any more) must still drop what the pass yielded of D4.
    yielded.splice(0);
    c = step(newer, [at('n', '2026-01-05T00:00:00Z'), at('a', D4)]).cursor;
    expect(c.pass).toMatchObject({ after: secs(D3), before: secs(D4) + 1, page: 1 });
    c = step(c, [at('a', D4), at('c', D4)]).cursor;
    c = step(c, [at('c', D4)]).cursor;
    expect(yielded).toEqual(['n']);
    // a stored cursor keeps the rule
    expect(readStravaCursor(JSON.parse(JSON.stringify(newer))).pass).toEqual(newer.pass);
  });

  it('keeps the newest ids when `seen` is over its cap', () => {
    const many = Array.from({ length: 2_100 }, (_, k) => `old-${k}`);
    const start = readStravaCursor({
      v: 2,
      after: null,
      afterIds: [],
      pass: { after: null, before: null, page: 1, seen: many, newest: null, newestIds: [], keepSeen: true },
    });
    expect(start.pass?.seen).toHaveLength(2_000);
    expect(start.pass?.seen.at(-1)).toBe('old-2099');
    // a page spanning two seconds narrows; its boundary ids stay in `seen` whatever was carried
    const next = advanceStravaCursor(start, [at('p', D3), at('q', D2)], 2);
    expect(next.cursor.pass?.seen).toHaveLength(2_000);
    expect(next.cursor.pass?.seen).toContain('q');
    const again = advanceStravaCursor(next.cursor, [at('q', D2), at('r', D2)], 2);
    expect(again.fresh).toEqual([at('r', D2)]);
  });

  it('never walks a second more than MAX_TIE_WALKS times, even when each walk finds a new upload', () => {
    let cursor = advanceStravaCursor(
      startStravaPass({ v: 2, after: null, afterIds: [] }, true),
      [at('a', D2), at('b', D2)],
      2,
    ).cursor;
    let requests = 1;
    for (let k = 0; k < 50 && cursor.pass?.tie; k++) {
      // each walk's page 1 shows one activity uploaded since, then the page after is empty
      cursor = advanceStravaCursor(
        cursor,
        cursor.pass.page === 1 ? [at(`new${k}`, D2), at('a', D2)] : [],
        2,
      ).cursor;
      requests++;
    }
    expect(cursor.pass?.tie).toBeUndefined();
    expect(requests).toBeLessThanOrEqual(2 * MAX_TIE_WALKS + 1);
  });

  it('ends only on an empty page: a short page of re-reads pages on', () => {
    const mid: StravaSyncCursor = {
      v: 2,
      after: null,
      afterIds: [],
      pass: { after: null, before: secs(D1) + 1, page: 1, seen: ['1'], newest: secs(D3), newestIds: ['3'] },
    };
    const reread = advanceStravaCursor(mid, [at('1', D1)]);
    expect(reread.fresh).toEqual([]);
    expect(reread.done).toBe(false);
    expect(reread.cursor.pass).toMatchObject({ before: secs(D1) + 1, page: 2 });
    const end = advanceStravaCursor(reread.cursor, []);
    expect(end.done).toBe(true);
    expect(end.cursor).toEqual({ v: 2, after: secs(D3), afterIds: ['3'] });
  });

  it('ends an oldest-first pass on a short page, at a mark below everything the window may still hold', () => {
    const start = startStravaPass({ v: 2, after: secs(D1), afterIds: ['1'], order: 'asc' }, false);
    // the re-read of D1 and two new ones: short (3 < 5), so the pass ends; the mark is D3 with '3', and
    // whatever the page hid starts at D3 or later (oldest first): the next pass asks for after = D3 - 1
    const step = advanceStravaCursor(start, [at('1', D1), at('2', D2), at('3', D3)], 5);
    expect(step.fresh).toEqual([at('2', D2), at('3', D3)]);
    expect(step).toMatchObject({
      done: true,
      cursor: { v: 2, after: secs(D3), afterIds: ['3'], order: 'asc' },
    });
    expect(step.cursor.pass).toBeUndefined();
    expect(step.cursor.shortStops).toBeUndefined();
    expect(startStravaPass(step.cursor, false).pass).toMatchObject({ after: secs(D3) - 1, seen: ['3'] });
    // learned from the page itself when the order was not known yet
    const learned = advanceStravaCursor(
      startStravaPass({ v: 2, after: secs(D1), afterIds: [] }, false),
      [at('1', D1), at('2', D2)],
      5,
    );
    expect(learned).toMatchObject({ done: true, cursor: { after: secs(D2), order: 'asc' } });
    // the same page, as the old rule reads it (for comparisons): on to the empty page
    const old = advanceStravaCursor(start, [at('1', D1), at('2', D2), at('3', D3)], 5, {
      readToEmptyPage: true,
    });
    expect(old.done).toBe(false);
  });

  it('reads on after a short page when stopping could skip an activity', () => {
    // newest first (Strava's documented order): what the page hid may be older than the mark it would store
    const desc = advanceStravaCursor(
      startStravaPass({ v: 2, after: secs(D1), afterIds: ['1'], order: 'desc' }, false),
      [at('3', D3), at('1', D1)],
      5,
    );
    expect(desc.done).toBe(false);
    expect(desc.cursor.pass).toMatchObject({ after: secs(D1) - 1, before: secs(D1) + 1, page: 1 });
    // order unknown and one second above the window's lowest: the rest may be below it
    const unknown = advanceStravaCursor(
      startStravaPass({ v: 2, after: secs(D1), afterIds: [] }, false),
      [at('3', D3)],
      5,
    );
    expect(unknown.done).toBe(false);
    // a full pass, or a window with another one queued, reads to the empty page
    expect(
      advanceStravaCursor(startStravaPass({ v: 2, after: null, afterIds: [] }, true), [at('3', D3)], 5).done,
    ).toBe(false);
    const queued: StravaSyncCursor = {
      v: 2,
      after: secs(D1),
      afterIds: [],
      order: 'asc',
      pass: {
        after: secs(D1) - 1,
        before: null,
        page: 1,
        seen: [],
        newest: null,
        newestIds: [],
        queued: [{ after: secs(D3), before: null }],
      },
    };
    expect(advanceStravaCursor(queued, [at('2', D2)], 5).done).toBe(false);
  });

  it('ends on a short page of the high-water second alone in either order, MAX_SHORT_STOPS times in a row', () => {
    for (const order of [undefined, 'asc', 'desc'] as const) {
      let cursor: StravaSyncCursor = { v: 2, after: secs(D1), afterIds: ['1'], ...(order ? { order } : {}) };
      const requests: number[] = [];
      for (let sync = 0; sync < 2 * (MAX_SHORT_STOPS + 1); sync++) {
        let step = advanceStravaCursor(startStravaPass(cursor, false), [at('1', D1)], 5);
        let n = 1;
        while (!step.done) {
          step = advanceStravaCursor(step.cursor, [], 5);
          n++;
        }
        expect(step.fresh).toEqual([]);
        cursor = step.cursor;
        requests.push(n);
      }
      // nothing stored: three passes end on the short page, the fourth reads on to the empty page
      const cycle = [...Array.from({ length: MAX_SHORT_STOPS }, () => 1), 2];
      expect(requests).toEqual([...cycle, ...cycle]);
      expect(cursor).toMatchObject({ after: secs(D1), afterIds: ['1'] });
      expect(cursor.shortStops).toBeUndefined();
    }
    // a pass that stores something resets the count; after MAX_SHORT_STOPS a pass reads on even then
    const stored = advanceStravaCursor(
      startStravaPass({ v: 2, after: secs(D1), afterIds: ['1'], shortStops: MAX_SHORT_STOPS - 1 }, false),
      [at('1', D1), at('1b', D1)],
      5,
    );
    expect(stored).toMatchObject({ done: true, cursor: { after: secs(D1), afterIds: ['1', '1b'] } });
    expect(stored.cursor.shortStops).toBeUndefined();
    const forced = advanceStravaCursor(
      startStravaPass({ v: 2, after: secs(D1), afterIds: ['1'], shortStops: MAX_SHORT_STOPS }, false),
      [at('1', D1), at('1b', D1)],
      5,
    );
    expect(forced.done).toBe(false);
    expect(advanceStravaCursor(forced.cursor, [], 5)).toMatchObject({
      done: true,
      cursor: { after: secs(D1), afterIds: ['1', '1b'] },
    });
    expect(readStravaCursor({ v: 2, after: 5, afterIds: [], shortStops: 2 })).toEqual({
      v: 2,
      after: 5,
      afterIds: [],
      shortStops: 2,
    });
  });

  it('ends a pass with the newest start seen as the next high-water mark, and its ids', () => {
    expect(
      finishStravaPass({
        v: 2,
        after: 50,
        afterIds: ['x'],
        pass: { after: 49, before: null, page: 1, seen: [], newest: null, newestIds: [] },
      }),
    ).toEqual({ v: 2, after: 50, afterIds: ['x'] });
    expect(
      finishStravaPass({
        v: 2,
        after: 50,
        afterIds: ['x'],
        pass: { after: 49, before: null, page: 1, seen: [], newest: 50, newestIds: ['y'] },
      }),
    ).toEqual({ v: 2, after: 50, afterIds: ['x', 'y'] });
    expect(finishStravaPass({ v: 2, after: null, afterIds: [] })).toEqual({
      v: 2,
      after: null,
      afterIds: [],
    });
  });
});
