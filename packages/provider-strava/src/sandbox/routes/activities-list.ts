import type { SandboxActivity } from '../generate-history';
import { sendJson, stravaError } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { ApiRequest } from './api-request';

/**
 * `GET /athlete/activities` (`activity:read` or `activity:read_all`): `before`/`after` (epoch seconds,
 * exclusive), `page` (from 1) and `per_page` (at most 200; default 30), newest first (oldest first with
 * only `after` when `ascendingWithAfter`). Private activities without `activity:read_all`, and those
 * `hideFromList` hides, are dropped after paging. The `onListActivities` hook runs before the answer.
 */
export async function listActivitiesRoute(state: SandboxState, request: ApiRequest): Promise<void> {
  const { res, url, headers } = request;
  if (!request.can('activity:read', 'activity:read_all')) {
    const body = stravaError('Authorization Error', 'AccessToken', 'activity:read_permission', 'missing');
    return sendJson(res, 401, body, headers);
  }
  const includePrivate = request.can('activity:read_all');
  const int = (name: string) => {
    const v = url.searchParams.get(name);
    if (v === null || v === '') return null;
    return /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  };
  const before = int('before');
  const after = int('after');
  const page = int('page') ?? 1;
  const perPage = int('per_page') ?? 30;
  if ([before, after, page, perPage].some((v) => Number.isNaN(v)) || page < 1 || perPage < 1) {
    sendJson(res, 400, stravaError('Bad Request', 'Activity', 'page', 'invalid'), headers);
    return;
  }
  const size = Math.min(200, perPage);
  await state.listHook?.({
    athleteId: request.athleteId,
    before,
    after,
    page,
    perPage: size,
    callNumber: ++state.listCalls,
  });
  const ascending = state.options.ascendingWithAfter === true && after !== null && before === null;
  const paged: SandboxActivity[] = [];
  let skip = (page - 1) * size;
  for (const a of state.athletes.inListOrder(request.athleteId, {
    afterMs: after === null ? null : after * 1000,
    beforeMs: before === null ? null : before * 1000,
    ascending,
  })) {
    if (skip > 0) {
      skip--;
      continue;
    }
    paged.push(a);
    if (paged.length >= size) break;
  }
  // Filtered after paging, like Strava: a page may be short with later pages still to come.
  const items = paged.filter((a) => state.listed(a, includePrivate));
  // N items of the next list response, then cleared.
  const malformed = state.faults.takeMalformedItems();
  for (let k = 0; k < Math.min(malformed, items.length); k++) {
    items[k] = { ...items[k]!, start_date: 12345 as unknown as string };
  }
  sendJson(res, 200, items, headers);
}
