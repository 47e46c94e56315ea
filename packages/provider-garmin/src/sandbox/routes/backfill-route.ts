import type { GarminSummaryType, PendingNotification } from '../pending-notifications';
import { sendJson } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { ApiCall } from './api-gate';

const DAY_S = 86_400;
const MAX_BACKFILL_DAYS = 30;

/**
 * `GET /backfill/activities` and `GET /backfill/activityDetails` (reference §2, "Backfill"): asks for the
 * summaries that started in `summaryStartTimeInSeconds…summaryEndTimeInSeconds` (at most 30 days) and
 * answers 202 with no body; the summaries come later as notifications (see `BackfillDeliveries`). Needs
 * HISTORICAL_DATA_EXPORT (403); the same window again is a 409; over `backfillDaysPerMinute` a 429 whose
 * headers describe that allowance. False when the call is not one of them.
 */
export function handleBackfillRoute(state: SandboxState, call: ApiCall): boolean {
  const { path, method, user, reply } = call;
  if ((path !== '/backfill/activities' && path !== '/backfill/activityDetails') || method !== 'GET')
    return false;
  const summaryType: GarminSummaryType = path === '/backfill/activities' ? 'activities' : 'activityDetails';
  if (!user.permissions.includes('HISTORICAL_DATA_EXPORT')) {
    reply(403, { errorMessage: 'User has not granted HISTORICAL_DATA_EXPORT' });
    return true;
  }
  const q = call.url.searchParams;
  const start = Number(q.get('summaryStartTimeInSeconds'));
  const end = Number(q.get('summaryEndTimeInSeconds'));
  if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) {
    reply(400, {
      errorMessage: 'summaryStartTimeInSeconds and summaryEndTimeInSeconds are required, start before end',
    });
    return true;
  }
  if (end - start > MAX_BACKFILL_DAYS * DAY_S) {
    reply(400, {
      errorMessage: `Invalid time range: the backfill window is ${end - start} seconds, the maximum is 30 days`,
    });
    return true;
  }
  const key = `${summaryType}:${start}-${end}`;
  if (user.backfills.has(key)) {
    reply(409, { errorMessage: 'Duplicate backfill request' });
    return true;
  }
  const refusal = state.rateLimits.spendBackfillDays(start, end);
  if (refusal) {
    sendJson(call.res, 429, { errorMessage: refusal.message }, refusal.headers);
    return true;
  }
  user.backfills.add(key);
  const requested: PendingNotification = { kind: 'backfill', summaryType, userId: user.userId, start, end };
  state.pending.push(requested);
  state.deliveries.schedule(requested, 1);
  sendJson(call.res, 202, undefined, call.headers);
  return true;
}
