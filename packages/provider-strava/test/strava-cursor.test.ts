import { describe, expect, it } from 'vitest';
import {
  advanceStravaCursor,
  finishStravaPass,
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

    const asc = advanceStravaCursor(startStravaPass({ v: 2, after: 100, afterIds: [] }, false), [
      at('1', D1),
      at('2', D2),
      at('2b', D2),
    ]);
    expect(asc.cursor.pass).toMatchObject({ after: secs(D2) - 1, before: null, seen: ['2', '2b'] });
    expect(asc.cursor.order).toBe('asc');
  });

  it('pages by number within a window when a page holds a single second', () => {
    const start = startStravaPass({ v: 2, after: null, afterIds: [] }, true);
    const tied = advanceStravaCursor(start, [at('a', D2), at('b', D2)]);
    expect(tied.cursor.pass).toMatchObject({ before: secs(D2) + 1, after: null, page: 2 });
    const more = advanceStravaCursor(tied.cursor, [at('c', D2), at('d', D2)]);
    expect(more.cursor.pass).toMatchObject({ before: secs(D2) + 1, page: 3 });
    const unreadable = advanceStravaCursor(more.cursor, [{ id: 'e', start_date: 12 }, { id: 'f' }]);
    expect(unreadable.cursor.pass).toMatchObject({ page: 4, newest: secs(D2) });
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
