import { type ProviderV1, readAheadPages } from '@trainlytics/core';

/**
 * Strava's listing with one page read ahead: while core stores a page, the next one is already being
 * fetched (ADR 0023). Safe for Strava's walk because its next request (`before`/`after`/`page`, see
 * `StravaSyncCursor` in strava-walk.ts) follows from the previous response alone, never from the page
 * being stored; each page still carries its own cursor, which core stores with it.
 */
export function withStravaReadAhead<P extends ProviderV1>(provider: P): P {
  return {
    ...provider,
    listActivities: (ctx, request) => readAheadPages(provider.listActivities(ctx, request), { pages: 1 }),
  };
}
