import type { ConformanceWebhookEvent } from '@trainlytics/core/testing';
import { notificationRequest, pingBody, pushBody, withUserAccessToken } from './notification-bodies';
import type { NotificationOptions } from './notification-requests';
import type { SandboxState } from './sandbox-state';

/** A sandbox event: the conformance events plus Garmin's permission change. */
export type GarminSandboxEvent =
  | ConformanceWebhookEvent
  /** The activity's Activity Details, pushed (or pinged) on their own (e.g. before the summary). */
  | { type: 'activity.details'; providerUserId: string; providerActivityId: string }
  | { type: 'permissions.changed'; providerUserId: string; permissions: string[] };

/**
 * The notification Garmin sends for an event (see `GarminSandbox.webhookRequest`), or null when it sends
 * none (`activity.deleted`). `deauthorized` deregisters the user and `permissions.changed` sets the user's
 * permissions, as the change in Garmin Connect that causes them would.
 */
export function webhookRequestFor(
  state: SandboxState,
  event: GarminSandboxEvent,
  options: NotificationOptions,
): Request | null {
  const user = state.accounts.get(event.providerUserId);
  switch (event.type) {
    case 'activity.created':
    case 'activity.details': {
      const found = state.accounts.summary(user, event.providerActivityId);
      const summaryType = event.type === 'activity.created' ? 'activities' : 'activityDetails';
      const mode = options.mode ?? state.settings.notificationMode;
      const body =
        mode === 'push'
          ? pushBody(state, user, [found], summaryType)
          : pingBody(
              state,
              user,
              { start: found.uploadTimeInSeconds, end: found.uploadTimeInSeconds + 1 },
              () => [found],
              summaryType,
            );
      return notificationRequest(state, body, options.url);
    }
    case 'activity.deleted':
      return null;
    case 'deauthorized': {
      // a real deregistration: the user removed the app in Garmin Connect, so the tokens stop working
      const body = { deregistrations: [{ userId: user.userId, ...withUserAccessToken(state, user.userId) }] };
      state.deregister(user.userId);
      return notificationRequest(state, body, options.url);
    }
    case 'permissions.changed': {
      user.permissions = [...event.permissions];
      return notificationRequest(
        state,
        {
          userPermissionsChange: [
            {
              userId: user.userId,
              summaryId: `x${state.nextNotificationNumber().toString(16)}-${state.nowS().toString(16)}`,
              permissions: [...event.permissions],
              changeTimeInSeconds: state.nowS(),
            },
          ],
        },
        options.url,
      );
    }
  }
}
