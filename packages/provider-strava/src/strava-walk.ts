import type { JsonValue } from '@trainlytics/core';

/**
 * The sync cursor stored in `provider_connections.sync_cursor`, and the walk it drives.
 *
 * Strava lists activities by start time with EXCLUSIVE `before`/`after` bounds (epoch seconds) plus
 * `page`/`per_page`, and several activities can share a start second (manual entries, imports, split
 * uploads, two devices). The walk therefore never narrows its window past a second it has not finished:
 *
 * - **Boundary second re-read.** After a page whose starts differ, the window narrows to the page's last
 *   second `b` *inclusively*: newest first (Strava's documented order) `before = b + 1`; oldest first (what
 *   Strava does for `after`-only requests) `after = b - 1`. The next page starts again with second `b`, so
 *   an activity sharing `b` with the previous page cannot be skipped. The ids the previous page showed in
 *   `b` are kept in `pass.seen` and dropped from the next page (never yielded twice in a pass; the store's
 *   upsert would not count an unchanged re-read anyway).
 * - **A full page of one second** (at least `per_page` activities start in it). Only page numbers can walk
 *   such a second, and page offsets shift when an activity is deleted mid-walk: the one that moves into an
 *   offset already read is skipped. So the walk confines the shift to that second: it walks the window of
 *   exactly that second (`after = s - 1`, `before = s + 1`) by page number (`pass.tie`), then walks it
 *   again from page 1 until a walk finds nothing new (at most `MAX_TIE_WALKS`), and only then goes on with
 *   the rest of the outer window without that second (`pass.queued`: `(after, s)` newest first, `(s, before)`
 *   oldest first, both when the order of an `after`-only window is not known yet). A deletion during one
 *   walk can hide an activity from that walk only; the next walk finds it.
 * - **A short page of one second** (the rest of the window fits a page, or Strava filtered some) pages by
 *   `page` = 2, 3, … in the window, narrowed to that second's side once the order is known; the order of an
 *   `after`-only window is learned from the first page that spans two seconds, or from two one-second pages
 *   in a row (`pass.second`), and kept in `order`. A narrowing that changes the window reads its page 1
 *   (the page just read is not that page 1 when hidden activities of the seconds it drops took slots of it;
 *   ADR 0022, addendum), with the page's ids in `seen`.
 * - **End.** Strava filters what a token may not see after paging, so a page can hold fewer than
 *   `per_page` items (even only the re-read boundary activities) while later pages still hold more: a short
 *   page is not proof of the end. A pass ends on an empty page, or (ADR 0022) on a short page where
 *   stopping is harmless: the window is the last one, `after`-only, and everything it may still hold starts
 *   at or after the high-water second the pass would store (oldest first: at or after the page's last
 *   second; in any order: when that second is the window's lowest). The next incremental pass asks for
 *   `after = mark - 1`, so what the short page hid is read then. A pass that stores nothing may end so at
 *   most `MAX_SHORT_STOPS` times in a row (`shortStops`); the next one reads on to the empty page (even
 *   if it stores something), so a run of hidden activities after the mark cannot hide later ones from a
 *   webhook-less app for ever: with no new uploads, u unstored activities are all stored within
 *   u + `MAX_SHORT_STOPS` + 1 syncs.
 *   Newest-first windows (and every window of a full pass) still read on to the empty page.
 * - **Between passes.** `after` is the newest start second stored, `afterIds` the ids stored in that
 *   second: the next incremental pass asks for `after = after - 1`, so an activity uploaded later with
 *   the same start second is still found, and drops `afterIds` from what it yields.
 *
 * The cursor after every page records the window, page and `seen`, so a sync killed mid-pass resumes at
 * the next page without skipping (at worst it re-reads the boundary second). Request cost for n activities
 * at N per page without ties: ⌈(n−1)/(N−1)⌉ pages (each page after the first re-reads one boundary
 * activity) + 1 that re-reads the last second + 1 empty; at most one more for each group of tied starts
 * that straddles a page; a second holding m ≥ N activities costs about 2·(⌈m/N⌉ + 1) (walked twice); one
 * more for each narrowing re-read of a one-second short page (once a pass without hidden activities). An
 * incremental sync whose new activities fit one page (with the re-read of the high-water second) makes
 * 1 request when Strava answers `after`-only requests oldest first (3 before ADR 0022), and one that finds
 * nothing new makes 1 in either order (2 before), every (`MAX_SHORT_STOPS` + 1)-th such sync in a row 2.
 *
 * Known limits: a second holding more than 2,000 activities is deduplicated only in part (a re-walk may
 * yield some twice; the store's upsert keeps one row); deletions in every one of `MAX_TIE_WALKS` walks of
 * one second can still hide an activity until the next full sync.
 *
 * Version 1 cursors (`{"v":1,"after":…,"pass":{"after","before","page","newest"}}`, written before the
 * boundary second was re-read) are migrated on read: their window is widened by the boundary second and
 * their page reset to 1, so what v1 may have skipped is read again.
 *
 * ```json
 * {"v":2,"after":1767225600,"afterIds":["1234567890"]}                                     // between syncs
 * {"v":2,"after":1767225600,"afterIds":[],"pass":{"after":null,"before":1700000001,"page":1,
 *   "seen":["987"],"newest":1767300000,"newestIds":["555"]}}                                // mid-backfill
 * ```
 */
export interface StravaSyncCursor {
  v: 2;
  /** The newest start second stored by the last finished pass (null: none yet). */
  after: number | null;
  /** Ids stored whose start is the `after` second. */
  afterIds: string[];
  /** Strava's order for `after`-only requests, once a page showed it. */
  order?: 'asc' | 'desc';
  /** Passes in a row that ended on a short page without storing anything (absent: none). */
  shortStops?: number;
  pass?: StravaPass;
}

/** A pass in progress: the window `(after, before)` (exclusive, like Strava's) and page to ask next. */
export interface StravaPass {
  after: number | null;
  before: number | null;
  page: number;
  /** Ids already yielded by this pass that the window can return again (its boundary second's). */
  seen: string[];
  /** Newest start second yielded by this pass, and the ids yielded in it. */
  newest: number | null;
  newestIds: string[];
  /** The second of the last page when it held one second only (to learn the order from the next). */
  second?: number;
  /** Set while the window is exactly one second that fills pages (see "A full page of one second"). */
  tie?: StravaTieWalk;
  /** Windows still to walk, in order, once this one is over. */
  queued?: StravaWindow[];
  /**
   * Set when this pass queued windows (a tie walk): from then on `seen` keeps what the pass yielded through
   * every narrowing, since a later window can hold seconds read before it (ADR 0022, addenda).
   */
  keepSeen?: true;
}

/** An exclusive `(after, before)` window of start seconds, as Strava takes it. */
export interface StravaWindow {
  after: number | null;
  before: number | null;
}

/** Walking one start second by page number, again until a walk finds nothing new. */
export interface StravaTieWalk {
  second: number;
  /** Walks of the second begun so far (the first includes the page that found the second). */
  walks: number;
  /** Whether the current walk found an activity not seen before. */
  found: boolean;
}

/** The result of one page: what to yield and where to go next. */
export interface StravaWalkStep {
  /** The page's items not already yielded by this pass, in the page's order. */
  fresh: unknown[];
  /** The cursor to store with this page. */
  cursor: StravaSyncCursor;
  /** True when the pass is over (`cursor` has no `pass`). */
  done: boolean;
}

/** Ids kept for the high-water second (a bigger group is only partly deduplicated: harmless). */
const MAX_AFTER_IDS = 200;
/** Ids kept as `seen` (a boundary second, or a tied second walked by page number). */
const MAX_SEEN_IDS = 10 * MAX_AFTER_IDS;
/** Walks of one full second at most (each after the first only because the previous one found something). */
export const MAX_TIE_WALKS = 4;
/**
 * Passes in a row that may end on a short page without storing anything; the next reads on to the empty
 * page (a short page with only hidden activities behind the re-read would otherwise end every pass).
 */
export const MAX_SHORT_STOPS = 3;

/** How a pass may end (see "End" on `StravaSyncCursor`). */
export interface StravaWalkOptions {
  /** Read every window to its empty page, as before ADR 0022 (for comparisons: costs a request). */
  readToEmptyPage?: boolean;
}

const num = (v: JsonValue | undefined) =>
  typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : null;
const ids = (v: JsonValue | undefined) =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(-MAX_SEEN_IDS) : [];

/** Reads a stored cursor (v2, or v1 migrated); anything unrecognised (or null) starts from scratch. */
export function readStravaCursor(value: JsonValue | null): StravaSyncCursor {
  const o = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  const cursor: StravaSyncCursor = { v: 2, after: num(o.after), afterIds: o.v === 2 ? ids(o.afterIds) : [] };
  if (o.order === 'asc' || o.order === 'desc') cursor.order = o.order;
  const shortStops = num(o.shortStops);
  if (shortStops !== null && shortStops > 0) cursor.shortStops = shortStops;
  const pass = o.pass;
  if (!pass || typeof pass !== 'object' || Array.isArray(pass)) return cursor;
  const after = num(pass.after);
  const before = num(pass.before);
  const newest = num(pass.newest);
  if (o.v === 2) {
    cursor.pass = {
      after,
      before,
      page: Math.max(1, num(pass.page) ?? 1),
      seen: ids(pass.seen),
      newest,
      newestIds: ids(pass.newestIds),
    };
    const second = num(pass.second);
    if (second !== null) cursor.pass.second = second;
    const tie = pass.tie;
    if (tie && typeof tie === 'object' && !Array.isArray(tie)) {
      const s = num(tie.second);
      const walks = num(tie.walks);
      if (s !== null && walks !== null) cursor.pass.tie = { second: s, walks, found: tie.found === true };
    }
    if (pass.keepSeen === true) cursor.pass.keepSeen = true;
    if (Array.isArray(pass.queued)) {
      cursor.pass.queued = pass.queued
        .filter((w) => !!w && typeof w === 'object' && !Array.isArray(w))
        .map((w) => {
          const window = w as { [key: string]: JsonValue };
          return { after: num(window.after), before: num(window.before) };
        });
    }
    return cursor;
  }
  // v1: `before` moved down to the oldest start of a newest-first page, or `after` up to the newest of an
  // oldest-first one, excluding that second: widen the window by it and restart its paging.
  cursor.pass = {
    after: after === null ? null : after - 1,
    before: before === null ? null : before + 1,
    page: 1,
    seen: [],
    newest,
    newestIds: [],
  };
  return cursor;
}

/** The cursor that starts a pass: a full one walks everything, an incremental one re-reads `after`'s second. */
export function startStravaPass(cursor: StravaSyncCursor, full: boolean): StravaSyncCursor {
  if (cursor.pass) return cursor;
  const incremental = !full && cursor.after !== null;
  return {
    ...cursor,
    pass: {
      after: incremental ? cursor.after! - 1 : null,
      before: null,
      page: 1,
      seen: incremental ? [...cursor.afterIds] : [],
      newest: null,
      newestIds: [],
    },
  };
}

export function startSeconds(item: unknown): number | null {
  const value = item && typeof item === 'object' ? (item as { start_date?: unknown }).start_date : undefined;
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

function itemId(item: unknown): string | null {
  const id = item && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? String(id) : null;
}

/**
 * One step of the walk (see `StravaSyncCursor`): given the cursor the page was asked with, the page's items
 * and the `per_page` it was asked with, what to yield and the cursor to store with it.
 */
export function advanceStravaCursor(
  cursor: StravaSyncCursor,
  items: readonly unknown[],
  perPage = 200,
  options: StravaWalkOptions = {},
): StravaWalkStep {
  const pass: StravaPass = startStravaPass(cursor, false).pass ?? {
    after: null,
    before: null,
    page: 1,
    seen: [],
    newest: null,
    newestIds: [],
  };
  const seen = new Set(pass.seen);
  const fresh = items.filter((item) => {
    const id = itemId(item);
    return id === null || !seen.has(id);
  });

  // Newest second yielded so far (the next high-water mark), with its ids.
  let newest = pass.newest;
  let newestIds = new Set(pass.newestIds);
  for (const item of fresh) {
    const s = startSeconds(item);
    const id = itemId(item);
    if (s === null) continue;
    if (newest === null || s > newest) {
      newest = s;
      newestIds = new Set();
    }
    if (s === newest && id !== null && newestIds.size < MAX_AFTER_IDS) newestIds.add(id);
  }
  const { second: previousSecond, ...rest } = pass;
  const tracked: StravaPass = { ...rest, newest, newestIds: [...newestIds] };
  const out: StravaSyncCursor = { ...cursor };

  if (pass.tie) return tieStep(out, tracked, pass.tie, items, fresh);

  // An empty page ends a window, and the pass with the last one; a short page may come before the end and
  // ends the pass only where that is harmless (`shortStop`).
  if (items.length === 0) return nextWindow(out, tracked, fresh);

  const starts = items.map(startSeconds).filter((s): s is number => s !== null);
  const first = starts[0];
  const last = starts[starts.length - 1];

  const afterOnly = pass.before === null && pass.after !== null;
  if (first !== undefined && first === last && starts.length === items.length && items.length >= perPage) {
    return { fresh, cursor: startTie(out, tracked, first, items, afterOnly), done: false };
  }
  if (first === undefined || last === undefined || first === last) {
    // One start second (or none readable) on a short page: page by number within the window, narrowing it
    // to that second's side once the order is known. Its ids join `seen`: the narrowed window reads them
    // again, and a full page of that second found later walks it again from its page 1.
    const next: StravaPass = { ...tracked, page: pass.page + 1, seen: idsOf(items, pass.seen) };
    if (last === undefined) {
      out.pass = next;
      return { fresh, cursor: out, done: false };
    }
    let order = afterOnly ? cursor.order : 'desc';
    let narrow = pass.page === 1;
    if (!order && previousSecond !== undefined && previousSecond !== last) {
      order = last > previousSecond ? 'asc' : 'desc';
      out.order = order;
      narrow = true; // the previous page held only the previous second: this page starts this one
    }
    const stop = shortStop(out, tracked, items, last, afterOnly && order === 'asc', perPage, options);
    if (stop) return { fresh, cursor: stop, done: true };
    if (order && narrow) {
      // This page is not the narrowed window's page 1 when it is short because Strava filtered activities
      // of seconds the narrowing drops (hidden ones take slots): their slots hold activities of this second
      // on the narrowed window's page 1, which page 2 would skip. So a narrowing re-reads page 1 (`seen`
      // drops what this page yielded); a window that already is this second's side pages on.
      const window: StravaWindow =
        order === 'desc' ? { after: pass.after, before: last + 1 } : { after: last - 1, before: pass.before };
      if (window.after !== pass.after || window.before !== pass.before)
        Object.assign(next, window, { page: 1 });
    } else if (!order) {
      next.second = last;
    }
    out.pass = next;
    return { fresh, cursor: out, done: false };
  }

  // The page spans several seconds: narrow to its last second, inclusively, and re-read that second.
  const descending = first > last;
  if (afterOnly) out.order = descending ? 'desc' : 'asc';
  const stop = shortStop(out, tracked, items, last, afterOnly && !descending, perPage, options);
  if (stop) return { fresh, cursor: stop, done: true };
  const window: StravaWindow = {
    after: descending ? pass.after : last - 1,
    before: descending ? last + 1 : pass.before,
  };
  const boundary = items.filter((item) => startSeconds(item) === last);
  if (window.after === pass.after && window.before === pass.before) {
    // No narrower window: only a start outside the window (a malformed item) can make a page span seconds
    // that end at its edge. Page on by number instead of re-reading page 1 for ever.
    out.pass = { ...tracked, page: pass.page + 1, seen: idsOf(items, pass.seen) };
    return { fresh, cursor: out, done: false };
  }
  // `seen` becomes the boundary's ids (the narrowed window re-reads only that second of this window), but
  // once the pass queued windows it keeps what the pass yielded: a queued window (the newer side of a tie
  // walk begun before the order of an `after`-only window was known) can hold seconds read before it, and
  // so can the window it narrows to.
  const carried = pass.keepSeen ? pass.seen : [];
  out.pass = { ...tracked, ...window, page: 1, seen: idsOf(boundary, [...carried, ...markIds(out, window)]) };
  return { fresh, cursor: out, done: false };
}

/**
 * The finished cursor when the pass may end on this short page (see "End" on `StravaSyncCursor`), else
 * null. Stopping is harmless when every activity the window may still hold starts at or after the mark the
 * pass stores: they all start after the window's `after`, and oldest first (`ascending`) at or after the
 * page's `last` second too; the next pass re-reads the mark's second (`after = mark - 1`) and drops only
 * the ids stored in it.
 */
function shortStop(
  out: StravaSyncCursor,
  pass: StravaPass,
  items: readonly unknown[],
  last: number,
  ascending: boolean,
  perPage: number,
  options: StravaWalkOptions,
): StravaSyncCursor | null {
  if (options.readToEmptyPage || items.length >= perPage || pass.after === null || pass.before !== null)
    return null;
  // After MAX_SHORT_STOPS passes in a row that stored nothing, this one reads on to the empty page.
  const stops = out.shortStops ?? 0;
  if (pass.tie || (pass.queued?.length ?? 0) > 0 || stops >= MAX_SHORT_STOPS) return null;
  const finished = finishStravaPass({ ...out, pass });
  const lowest = ascending ? Math.max(pass.after + 1, last) : pass.after + 1;
  if (finished.after === null || lowest < finished.after) return null;
  const stored = finished.after !== out.after || finished.afterIds.length !== out.afterIds.length;
  if (!stored) finished.shortStops = stops + 1;
  return finished;
}

/**
 * The ids stored in the high-water second when `window` holds that second (they were dropped at the start
 * of the pass and stay dropped: newest first that second is the last one an incremental window reaches).
 */
function markIds(cursor: StravaSyncCursor, window: StravaWindow): string[] {
  const mark = cursor.after;
  const holds =
    mark !== null &&
    (window.after === null || window.after < mark) &&
    (window.before === null || mark < window.before);
  return holds ? [...cursor.afterIds] : [];
}

/** Ids of `also` then of items, without repeats, capped to the last (newest) `MAX_SEEN_IDS`. */
function idsOf(items: readonly unknown[], also: readonly string[] = []): string[] {
  const found = items.map(itemId).filter((id): id is string => id !== null);
  return [...new Set([...also, ...found])].slice(-MAX_SEEN_IDS);
}

/**
 * A full page of one second `s`: walk exactly that second by page number, then the rest of the window
 * without it. Newest first the page was page 1 of `(s - 1, s + 1)` too (same order, `s` the newest second of
 * the window), so the walk goes on at page 2; otherwise (another order, or a later page) it starts at page 1.
 */
function startTie(
  out: StravaSyncCursor,
  pass: StravaPass,
  s: number,
  items: readonly unknown[],
  afterOnly: boolean,
): StravaSyncCursor {
  const order = afterOnly ? out.order : 'desc';
  const older: StravaWindow = { after: pass.after, before: s };
  const newer: StravaWindow = { after: s, before: pass.before };
  // Oldest first with the order unknown, `s` is the oldest second when nothing older can be in the window.
  const rest =
    order === 'desc'
      ? [older]
      : order === 'asc' || (pass.after !== null && s === pass.after + 1)
        ? [newer]
        : [older, newer];
  const { second: _unused, ...kept } = pass;
  out.pass = {
    ...kept,
    after: s - 1,
    before: s + 1,
    page: !afterOnly && pass.page === 1 ? 2 : 1,
    seen: idsOf(items, pass.seen),
    tie: { second: s, walks: 1, found: true },
    queued: [...rest, ...(pass.queued ?? [])],
    keepSeen: true,
  };
  return out;
}

/** One page of a tied second's walk (see `startTie`). */
function tieStep(
  out: StravaSyncCursor,
  pass: StravaPass,
  tie: StravaTieWalk,
  items: readonly unknown[],
  fresh: unknown[],
): StravaWalkStep {
  if (items.length > 0) {
    out.pass = {
      ...pass,
      page: pass.page + 1,
      seen: idsOf(items, pass.seen),
      tie: { ...tie, found: tie.found || fresh.length > 0 },
    };
    return { fresh, cursor: out, done: false };
  }
  // The walk is over: another one if it found something (a deletion during it may have hidden one).
  if (tie.found && tie.walks < MAX_TIE_WALKS) {
    out.pass = { ...pass, page: 1, tie: { second: tie.second, walks: tie.walks + 1, found: false } };
    return { fresh, cursor: out, done: false };
  }
  const { tie: _done, ...rest } = pass;
  return nextWindow(out, rest, fresh);
}

/** A window is over: the next one of `queued`, or the end of the pass. */
function nextWindow(out: StravaSyncCursor, pass: StravaPass, fresh: unknown[]): StravaWalkStep {
  const [next, ...later] = pass.queued ?? [];
  if (!next) return { fresh, cursor: finishStravaPass({ ...out, pass }), done: true };
  const { queued: _queued, second: _second, ...kept } = pass;
  // `seen` stays: the window may hold a second this pass already read (a tie walk begun before the order of
  // an `after`-only window was known queues the older side, which can hold what earlier pages yielded).
  const seen = idsOf([], [...markIds(out, next), ...pass.seen]);
  out.pass = { ...kept, after: next.after, before: next.before, page: 1, seen };
  if (later.length > 0) out.pass.queued = later;
  return { fresh, cursor: out, done: false };
}

/** The cursor once a pass is over: the newest start stored becomes the high-water mark. */
export function finishStravaPass(cursor: StravaSyncCursor): StravaSyncCursor {
  const out: StravaSyncCursor = { v: 2, after: cursor.after, afterIds: cursor.afterIds };
  if (cursor.order) out.order = cursor.order;
  const newest = cursor.pass?.newest ?? null;
  if (newest !== null && (out.after === null || newest > out.after)) {
    out.after = newest;
    out.afterIds = cursor.pass!.newestIds;
  } else if (newest !== null && newest === out.after) {
    out.afterIds = [...new Set([...out.afterIds, ...cursor.pass!.newestIds])].slice(0, MAX_AFTER_IDS);
  }
  return out;
}

export function stravaCursorJson(cursor: StravaSyncCursor): JsonValue {
  return JSON.parse(JSON.stringify(cursor)) as JsonValue;
}
