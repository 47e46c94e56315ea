import { pathToFileURL } from 'node:url';
import {
  advanceStravaCursor,
  readStravaCursor,
  type StravaSyncCursor,
  startStravaPass,
} from '@trainlytics/provider-strava';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';

/**
 * Requests per connection of one incremental Strava sync (ADR 0022): an athlete synced before (300
 * activities, cursor at the newest), then `n` uploads, then one incremental pass of the Strava walk
 * (`strava-walk.ts`, the same steps the plugin's `listActivities` takes) against the sandbox over HTTP at
 * 200 per page. "before" reads every window to its empty page (`readToEmptyPage`, the rule of ADR 0003);
 * "after" ends an `after`-only pass on a short page where that is harmless. Both orders the sandbox can
 * answer `after`-only requests in: oldest first (what Strava does) and newest first (its documented default).
 * The 0-new row also gives the mean over 4 syncs in a row (every fourth reads on to the empty page).
 *
 * `node --import tsx --conditions=@trainlytics/source src/incremental-requests.ts` (from packages/bench),
 * or as part of `npm run bench`.
 */
export const NEW_ACTIVITIES = [0, 1, 50, 199, 200, 250] as const;
const PER_PAGE = 200;
const DAY_MS = 86_400_000;

export interface IncrementalRequestsRow {
  newActivities: number;
  order: 'oldest first' | 'newest first';
  before: number;
  after: number;
  /** Mean requests of 4 incremental syncs in a row with nothing new ("after" rule; 0-new row only). */
  afterMeanOf4?: number;
}

/** One pass of the walk from `cursor`, counting requests; checks it yielded exactly `expected` new ids. */
async function pass(
  sandbox: StravaSandbox,
  token: string,
  cursor: StravaSyncCursor,
  full: boolean,
  readToEmptyPage: boolean,
): Promise<{ cursor: StravaSyncCursor; requests: number; yielded: string[] }> {
  let current = startStravaPass(cursor, full);
  let requests = 0;
  const yielded: string[] = [];
  for (;;) {
    const p = current.pass!;
    const url = new URL(`${sandbox.apiUrl}/athlete/activities`);
    if (p.after !== null) url.searchParams.set('after', String(p.after));
    if (p.before !== null) url.searchParams.set('before', String(p.before));
    url.searchParams.set('page', String(p.page));
    url.searchParams.set('per_page', String(PER_PAGE));
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    requests++;
    if (res.status !== 200) throw new Error(`The sandbox answered ${res.status}`);
    const items = (await res.json()) as unknown[];
    const step = advanceStravaCursor(current, items, PER_PAGE, { readToEmptyPage });
    yielded.push(...step.fresh.map((a) => String((a as { id: unknown }).id)));
    // stored as the plugin stores it
    current = readStravaCursor(JSON.parse(JSON.stringify(step.cursor)));
    if (step.done) return { cursor: current, requests, yielded };
  }
}

async function measure(
  sandbox: StravaSandbox,
  n: number,
  readToEmptyPage: boolean,
  athlete: number,
): Promise<{ requests: number; meanOf4: number }> {
  const token = `bench-access-${athlete}`;
  const { providerUserId } = await sandbox.registerAthlete({
    athleteId: 70_000_000 + athlete,
    activityCount: 300,
    historyEnd: new Date(Date.now() - DAY_MS),
    unsafeNewestId: false,
    accessToken: token,
    refreshToken: `bench-refresh-${athlete}`,
    expiresAt: new Date(Date.now() + DAY_MS),
  });
  // the backfill, then a first incremental sync that finds nothing (the state every later sync starts from)
  const backfill = await pass(sandbox, token, readStravaCursor(null), true, readToEmptyPage);
  let { cursor } = await pass(sandbox, token, backfill.cursor, false, readToEmptyPage);
  const added = await sandbox.addActivities(providerUserId, n);
  const sync = await pass(sandbox, token, cursor, false, readToEmptyPage);
  if (sync.yielded.length !== n || !added.every((id) => sync.yielded.includes(id)))
    throw new Error(`The incremental sync yielded ${sync.yielded.length} of ${n} new activities`);
  cursor = sync.cursor;
  let total = 0;
  for (let k = 0; k < 4; k++) {
    const idle = await pass(sandbox, token, cursor, false, readToEmptyPage);
    if (idle.yielded.length > 0) throw new Error('A sync with nothing new yielded activities');
    cursor = idle.cursor;
    total += idle.requests;
  }
  return { requests: sync.requests, meanOf4: total / 4 };
}

export async function runIncrementalRequests(): Promise<IncrementalRequestsRow[]> {
  const rows: IncrementalRequestsRow[] = [];
  let athlete = 0;
  for (const ascending of [true, false]) {
    const sandbox = await startStravaSandbox({
      ascendingWithAfter: ascending,
      rateLimit: { limit: 1e9, dailyLimit: 1e9 },
    });
    try {
      for (const n of NEW_ACTIVITIES) {
        const before = await measure(sandbox, n, true, ++athlete);
        const after = await measure(sandbox, n, false, ++athlete);
        rows.push({
          newActivities: n,
          order: ascending ? 'oldest first' : 'newest first',
          before: before.requests,
          after: after.requests,
          ...(n === 0 ? { afterMeanOf4: after.meanOf4 } : {}),
        });
      }
    } finally {
      await sandbox.close();
    }
  }
  return rows;
}

export function formatIncrementalRequests(rows: IncrementalRequestsRow[]): string {
  const lines = [
    '### Incremental requests per connection (Strava, 200 per page, ADR 0022)',
    '',
    '| new activities | `after`-only answered | before (to the empty page) | after (short page ends) | requests for 1,000 connections, before → after |',
    '|---:|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const after =
      r.afterMeanOf4 === undefined ? `${r.after}` : `${r.after} (mean of 4 in a row: ${r.afterMeanOf4})`;
    lines.push(
      `| ${r.newActivities} | ${r.order} | ${r.before} | ${after} | ${(r.before * 1000).toLocaleString('en')} → ${(r.after * 1000).toLocaleString('en')} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runIncrementalRequests().then(
    (rows) => process.stdout.write(`${formatIncrementalRequests(rows)}\n`),
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
