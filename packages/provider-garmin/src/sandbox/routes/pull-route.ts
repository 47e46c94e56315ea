import { itemsOf } from '../notification-bodies';
import type { GarminSummaryType } from '../pending-notifications';
import { injectMalformedItems } from '../sandbox-faults';
import type { StoredSummary } from '../sandbox-history';
import type { SandboxState } from '../sandbox-state';
import type { ApiCall } from './api-gate';
import { callbackSummaries } from './callback-route';

const DAY_S = 86_400;

/**
 * The summary endpoints `GET /activities` and `GET /activityDetails` (reference §2, "Pull"): the summaries
 * uploaded in `uploadStartTimeInSeconds…uploadEndTimeInSeconds` (required integers, end after start, at
 * most 24 h, read with `windowBounds`), or with a ping's `token` what that ping announced. Needs the
 * ACTIVITY_EXPORT permission (403). The `malformedItems` fault breaks activity summaries. False when the
 * call is not one of them.
 */
export function handlePullRoute(state: SandboxState, call: ApiCall): boolean {
  const { path, method, user, reply } = call;
  if ((path !== '/activities' && path !== '/activityDetails') || method !== 'GET') return false;
  const summaryType: GarminSummaryType = path === '/activities' ? 'activities' : 'activityDetails';
  if (!user.permissions.includes('ACTIVITY_EXPORT')) {
    reply(403, { errorMessage: 'User has not granted ACTIVITY_EXPORT' });
    return true;
  }
  const q = call.url.searchParams;
  const token = q.get('token');
  const summaries = token
    ? callbackSummaries(state, call, token, summaryType)
    : uploadedInWindow(state, call, q);
  if (!summaries) return true;
  const items = itemsOf(summaryType, summaries);
  if (summaryType === 'activities') injectMalformedItems(call.faults, items);
  reply(200, items);
  return true;
}

/** The summaries of the call's upload window, or null when it answered a 400 for the window. */
function uploadedInWindow(state: SandboxState, call: ApiCall, q: URLSearchParams): StoredSummary[] | null {
  const start = Number(q.get('uploadStartTimeInSeconds'));
  const end = Number(q.get('uploadEndTimeInSeconds'));
  const problem =
    !q.get('uploadStartTimeInSeconds') ||
    !q.get('uploadEndTimeInSeconds') ||
    !Number.isInteger(start) ||
    !Number.isInteger(end)
      ? 'uploadStartTimeInSeconds and uploadEndTimeInSeconds are required integers'
      : end <= start
        ? 'uploadEndTimeInSeconds must be after uploadStartTimeInSeconds'
        : end - start > DAY_S
          ? `Invalid time range: the upload window is ${end - start} seconds, the maximum is 86400 seconds`
          : null;
  if (problem) {
    call.reply(400, { errorMessage: problem });
    return null;
  }
  return state.uploadedBetween(call.user, start, end);
}
