import { ConfigurationError } from '../errors/errors';
import type { ActivityPage } from '../provider/v1/activities';

export interface ReadAheadOptions {
  /** How many pages may be fetched ahead of the one core is storing: 1 (default) or 2. */
  pages?: 1 | 2;
}

/**
 * A plugin's listing that fetches the next page while core stores the current one: up to `pages` pages are
 * requested ahead (memory stays flat: at most that many pages wait), in order, one request at a time, so
 * fetching overlaps with writing (ADR 0023).
 *
 * Only for a walk whose next request is known from the previous response alone (Strava's `before`/`after`
 * windows, Garmin's time windows), never for one whose next request depends on the previous page being
 * stored: a page that carries a `commit` hook (Polar's transactional flow) makes it throw a
 * `ConfigurationError` instead of being read past. The plugin opts in where it builds its listing:
 *
 * ```ts
 * listActivities: (ctx, request) => readAheadPages(walk(ctx, request), { pages: 1 }),
 * ```
 *
 * What core sees is unchanged: the same pages in the same order, a request's error when core asks for that
 * page (after every page before it), and when core stops early (an error, a lost lease, an abort) the
 * request in flight is awaited and discarded and the walk is closed (`return()`), so nothing runs after
 * the sync. Cursors are unaffected: core stores each page's own cursor with it.
 */
export async function* readAheadPages(
  source: AsyncIterable<ActivityPage>,
  options: ReadAheadOptions = {},
): AsyncGenerator<ActivityPage, void, undefined> {
  const depth = options.pages ?? 1;
  if (depth !== 1 && depth !== 2) {
    throw new ConfigurationError(`readAheadPages reads 1 or 2 pages ahead, not ${String(depth)}`);
  }
  const pages = source[Symbol.asyncIterator]();
  // requests in flight or done, oldest first (an async generator runs queued `next()` calls in turn)
  const ahead: Array<Promise<IteratorResult<ActivityPage>>> = [];
  const fetchNext = () => {
    const next = pages.next();
    next.catch(() => {}); // handled when core reaches it (or discarded when it stops first)
    ahead.push(next);
  };
  let finished = false;
  try {
    fetchNext();
    for (;;) {
      const result = await (ahead.shift() as Promise<IteratorResult<ActivityPage>>);
      if (result.done) {
        finished = true;
        return;
      }
      const page = result.value;
      if (page.commit) {
        throw new ConfigurationError(
          'readAheadPages got a page with a commit hook: its next request depends on the page being stored, so it must not be read ahead',
          { hint: 'list such pages without readAheadPages' },
        );
      }
      while (ahead.length < depth) fetchNext();
      yield page;
    }
  } finally {
    if (!finished) {
      await Promise.allSettled(ahead);
      await pages.return?.();
    }
  }
}
