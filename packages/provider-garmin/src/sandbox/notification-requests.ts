import { itemsOf, notificationRequest, pingBody, pushBody } from './notification-bodies';
import type { PendingNotification } from './pending-notifications';
import type { SandboxState } from './sandbox-state';
import { inWindow } from './summary-windows';

/** Where and how a notification is sent: `url` (default `webhookUrl`), `mode` (default `notificationMode`). */
export interface NotificationOptions {
  url?: string;
  mode?: 'push' | 'ping';
}

/**
 * The Requests of one pending notification, and how many summaries they carry: a deregistration; a
 * backfill's summaries (by start time) as pushes of at most `maxItemsPerNotification` (Activity Details,
 * large, a twentieth of that) or one ping. A backfill with nothing in its window sends nothing.
 */
export function requestsFor(
  state: SandboxState,
  p: PendingNotification,
  options: NotificationOptions,
): { requests: Request[]; summaries: number } {
  const mode = options.mode ?? state.settings.notificationMode;
  const max = state.options.maxItemsPerNotification ?? 200;
  const user = state.accounts.get(p.userId);
  if (p.kind === 'deregistration') {
    return {
      requests: [notificationRequest(state, { deregistrations: [{ userId: user.userId }] }, options.url)],
      summaries: 0,
    };
  }
  const summaries = state.startedBetween(user, p.start, p.end);
  if (summaries.length === 0) return { requests: [], summaries: 0 };
  if (mode === 'ping') {
    return {
      requests: [
        notificationRequest(
          state,
          pingBody(state, user, p, () => summaries, p.summaryType),
          options.url,
        ),
      ],
      summaries: summaries.length,
    };
  }
  const requests: Request[] = [];
  // Activity Details are large (thousands of samples each): fewer per notification
  const perRequest = p.summaryType === 'activityDetails' ? Math.max(1, Math.floor(max / 20)) : max;
  for (let i = 0; i < summaries.length; i += perRequest) {
    const slice = summaries.slice(i, i + perRequest);
    if (p.summaryType === 'activityDetails' && itemsOf('activityDetails', slice).length === 0) continue;
    requests.push(notificationRequest(state, pushBody(state, user, slice, p.summaryType), options.url));
  }
  return { requests, summaries: summaries.length };
}

/**
 * Takes the pending Activity Details backfills of the user whose window holds the activity's start (see
 * `GarminSandbox.deliverRequestedDetails`) and returns their notifications, per `notificationMode`.
 */
export function takeRequestedDetails(state: SandboxState, userId: string, summaryId: string): Request[] {
  const user = state.accounts.get(userId);
  const start = state.accounts.summary(user, summaryId).summary.startTimeInSeconds;
  const requested = state.pending.takeAll(
    (p) =>
      p.kind === 'backfill' &&
      p.summaryType === 'activityDetails' &&
      p.userId === user.userId &&
      inWindow(start, p.start, p.end, state.windowBounds),
  );
  return requested.flatMap((p) => requestsFor(state, p, {}).requests);
}
