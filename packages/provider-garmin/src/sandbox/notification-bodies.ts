import { garminJson } from './garmin-json';
import { generateActivityDetails } from './generate-activity-details';
import type { GarminSummaryType } from './pending-notifications';
import type { StoredSummary } from './sandbox-history';
import type { SandboxState } from './sandbox-state';
import type { SandboxUser } from './sandbox-user';

/**
 * Garmin's notification bodies (reference §2, "Push and Ping"): a push carries the summaries themselves,
 * each with the user's `userAccessToken`; a ping carries one `callbackURL` per user and window, which the
 * app then pulls (`GET …/activities?uploadStartTimeInSeconds=…&uploadEndTimeInSeconds=…&token=…`).
 */

/** A notification as Garmin posts it: JSON, with the `garmin-client-id` header (Garmin signs nothing). */
export function notificationRequest(state: SandboxState, body: unknown, url?: string): Request {
  return new Request(url ?? state.settings.webhookUrl ?? `${state.origin}/__webhook/garmin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'garmin-client-id': state.clientId },
    body: garminJson(body),
  });
}

/** `{ userAccessToken }` of the user's latest access token, or nothing when the user has none. */
export function withUserAccessToken(state: SandboxState, userId: string): { userAccessToken?: string } {
  const token = state.tokens.latestAccessToken(userId);
  return token ? { userAccessToken: token } : {};
}

/** The items of a summary type for stored summaries (Activity Details: none for manual activities). */
export function itemsOf(summaryType: GarminSummaryType, summaries: StoredSummary[]): unknown[] {
  if (summaryType === 'activities') return summaries.map((s) => s.summary);
  return summaries.flatMap((s) => {
    const detail = generateActivityDetails(s.summary);
    return detail ? [{ userId: s.summary.userId, ...detail }] : [];
  });
}

/** A push: `{ [summaryType]: [item + userAccessToken, …] }`. */
export function pushBody(
  state: SandboxState,
  user: SandboxUser,
  summaries: StoredSummary[],
  summaryType: GarminSummaryType = 'activities',
) {
  return {
    [summaryType]: itemsOf(summaryType, summaries).map((item) => ({
      ...(item as object),
      ...withUserAccessToken(state, user.userId),
    })),
  };
}

/** A ping for the upload window `start…end`; its `callbackURL` returns `summaries()` (see `PingCallbacks`). */
export function pingBody(
  state: SandboxState,
  user: SandboxUser,
  window: { start: number; end: number },
  summaries: () => StoredSummary[],
  summaryType: GarminSummaryType = 'activities',
) {
  const token = state.callbacks.register({ userId: user.userId, summaries, summaryType });
  const callback = new URL(`${state.apiUrl}/${summaryType}`);
  callback.searchParams.set('uploadStartTimeInSeconds', String(window.start));
  callback.searchParams.set('uploadEndTimeInSeconds', String(window.end));
  callback.searchParams.set('token', token);
  return {
    [summaryType]: [
      {
        userId: user.userId,
        ...withUserAccessToken(state, user.userId),
        uploadStartTimeInSeconds: window.start,
        uploadEndTimeInSeconds: window.end,
        callbackURL: callback.toString(),
      },
    ],
  };
}
