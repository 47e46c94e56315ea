import { describe, expect, it } from 'vitest';
import { advanceStravaCursor, finishStravaPass, readStravaCursor } from '../src/strava-provider';

const at = (iso: string) => ({ start_date: iso });
const secs = (iso: string) => Date.parse(iso) / 1000;

describe('the Strava sync cursor', () => {
  it('reads anything unrecognised as a fresh start', () => {
    expect(readStravaCursor(null)).toEqual({ v: 1, after: null });
    expect(readStravaCursor('legacy' as never)).toEqual({ v: 1, after: null });
    expect(readStravaCursor({ after: 'x', pass: { page: -3 } })).toEqual({
      v: 1,
      after: null,
      pass: { after: null, before: null, page: 1, newest: null },
    });
  });

  it('moves before down after a newest-first page and after up after an oldest-first one', () => {
    const start = { v: 1 as const, after: 100 };
    const desc = advanceStravaCursor(start, [at('2026-01-03T00:00:00Z'), at('2026-01-01T00:00:00Z')]);
    expect(desc.pass).toEqual({
      after: 100,
      before: secs('2026-01-01T00:00:00Z'),
      page: 1,
      newest: secs('2026-01-03T00:00:00Z'),
    });
    const asc = advanceStravaCursor(start, [at('2026-01-01T00:00:00Z'), at('2026-01-03T00:00:00Z')]);
    expect(asc.pass).toMatchObject({ after: secs('2026-01-03T00:00:00Z'), before: null, page: 1 });
  });

  it('pages by number when a page cannot narrow the window', () => {
    const start = { v: 1 as const, after: null };
    const single = advanceStravaCursor(start, [at('2026-01-01T00:00:00Z')]);
    expect(single.pass).toMatchObject({ before: null, after: null, page: 2 });
    const unreadable = advanceStravaCursor(single, [{ start_date: 12 }, {}]);
    expect(unreadable.pass).toMatchObject({ page: 3, newest: secs('2026-01-01T00:00:00Z') });
  });

  it('ends a pass with the newest start seen as the next high-water mark', () => {
    const mid = advanceStravaCursor({ v: 1, after: 50 }, [
      at('2026-01-03T00:00:00Z'),
      at('2026-01-01T00:00:00Z'),
    ]);
    expect(finishStravaPass(mid)).toEqual({ v: 1, after: secs('2026-01-03T00:00:00Z') });
    expect(
      finishStravaPass({ v: 1, after: 50, pass: { after: 50, before: null, page: 1, newest: null } }),
    ).toEqual({
      v: 1,
      after: 50,
    });
    expect(finishStravaPass({ v: 1, after: null })).toEqual({ v: 1, after: null });
  });
});
