import { createHash, timingSafeEqual } from 'node:crypto';
import {
  accessConfirmationOf,
  type ConnectionContext,
  confirmAccess,
  type PermissionsConfirmation,
  type ProviderContext,
  type ProviderWebhooksV1,
  validatePayload,
  type WebhookEvent,
  type WebhookRequest,
  type WebhookRequestHead,
  WebhookVerificationError,
} from '@trainlytics/core';
import {
  garminDeregistrationSchema,
  garminNotificationSchema,
  garminPermissionsChangeSchema,
  garminPingItemSchema,
} from './garmin-api';
import { fetchGarminPermissions } from './garmin-oauth';
import type { GarminSettings } from './garmin-settings';
import { mapGarminSummaries } from './map-garmin-activity';
import { mapGarminActivityDetails } from './map-garmin-activity-details';

const PROVIDER = 'garmin';

/**
 * Garmin has no subscription API: notification endpoints are set per summary type in the developer portal
 * (https://apis.garmin.com/tools/endpoints). Point these types at the host's Garmin webhook URL (an
 * unguessable path); the first two are required for production.
 */
export const GARMIN_NOTIFICATION_TYPES = [
  { type: 'Deregistration', envelope: 'deregistrations', mode: 'push' },
  { type: 'User Permissions Change', envelope: 'userPermissionsChange', mode: 'push' },
  { type: 'Activities', envelope: 'activities', mode: 'push or ping' },
  { type: 'Manually Updated Activities', envelope: 'manuallyUpdatedActivities', mode: 'push or ping' },
  { type: 'Activity Details', envelope: 'activityDetails', mode: 'push or ping' },
] as const;

/** Envelopes of activity summaries (`activity.changed`) and of Activity Details (`activity.streams`). */
const ENVELOPES = ['activities', 'manuallyUpdatedActivities', 'activityDetails'] as const;

const digest = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** The item without its `userAccessToken`, for de-duplication keys. */
const withoutToken = (item: unknown) => {
  if (!isRecord(item)) return item;
  const { userAccessToken: _token, ...rest } = item;
  return rest;
};

/**
 * Notifications are not signed: Garmin sends a `garmin-client-id` header holding the app's client id
 * (consumer key), which is checked in constant time. It needs only the headers: core runs it before the
 * body is read (`verifyHeaders`), so an unauthenticated post costs no memory.
 */
export function verifyGarminNotification(settings: GarminSettings, request: WebhookRequestHead): void {
  if (!settings.verifyClientId) return;
  const received = request.headers.get('garmin-client-id');
  if (!received) {
    throw new WebhookVerificationError('Garmin notification refused: no garmin-client-id header', {
      provider: PROVIDER,
      status: 401,
      hint: 'only Garmin may post to this endpoint; Garmin always sends the garmin-client-id header',
    });
  }
  const expected = Buffer.from(settings.clientId());
  const actual = Buffer.from(received);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new WebhookVerificationError(
      'Garmin notification refused: the garmin-client-id header does not match GARMIN_CLIENT_ID',
      {
        provider: PROVIDER,
        status: 403,
        hint: 'check that the endpoint configured in the Garmin developer portal belongs to this app',
      },
    );
  }
}

/**
 * Turns a notification into events:
 * - push (`{"activities":[{…summary…}]}`): `activity.changed` with the mapped `batch`, one per user;
 * - ping (`{"activities":[{"callbackURL":…}]}`): `activity.changed` with `ref: {callbackURL}`;
 * - `activityDetails` (ADR 0033): `activity.streams`, pushed (`delivered`, mapped) or pinged (`ref`);
 * - `deregistrations`: `connection.deauthorized`; `userPermissionsChange`: `connection.permissions_changed`.
 * Other summary types (dailies, sleeps, …) are ignored.
 */
export async function parseGarminNotification(
  request: WebhookRequest,
  ctx: ProviderContext,
): Promise<WebhookEvent[]> {
  const body = await validatePayload(garminNotificationSchema, request.json(), {
    provider: PROVIDER,
    entity: 'webhook',
  });
  const events: WebhookEvent[] = [];

  for (const envelope of ENVELOPES) {
    const items = body[envelope] ?? [];
    const details = envelope === 'activityDetails';
    const pushed = new Map<string, unknown[]>();
    for (const item of items) {
      if (isRecord(item) && 'callbackURL' in item) {
        const ping = garminPingItemSchema.safeParse(item);
        if (!ping.success) {
          ctx.logger.warn('malformed Garmin ping item ignored', { provider: PROVIDER, envelope });
          continue;
        }
        events.push({
          type: details ? 'activity.streams' : 'activity.changed',
          providerUserId: ping.data.userId,
          eventKey: `ping:${envelope}:${ping.data.userId}:${digest(withoutToken(item))}`,
          ref: { callbackURL: ping.data.callbackURL },
        });
        continue;
      }
      const userId = isRecord(item) && typeof item.userId === 'string' ? item.userId : null;
      if (!userId) {
        ctx.logger.warn('Garmin summary without userId ignored', { provider: PROVIDER, envelope });
        continue;
      }
      const list = pushed.get(userId) ?? [];
      list.push(item);
      pushed.set(userId, list);
    }
    for (const [userId, list] of pushed) {
      const eventKey = `push:${envelope}:${userId}:${digest(list.map(withoutToken))}`;
      events.push(
        details
          ? {
              type: 'activity.streams',
              providerUserId: userId,
              eventKey,
              delivered: await mapGarminActivityDetails(list, { expectedUserId: userId }),
            }
          : {
              type: 'activity.changed',
              providerUserId: userId,
              eventKey,
              batch: await mapGarminSummaries(list, { expectedUserId: userId }),
            },
      );
    }
  }

  for (const item of body.deregistrations ?? []) {
    const parsed = garminDeregistrationSchema.safeParse(item);
    if (!parsed.success) {
      ctx.logger.warn('malformed Garmin deregistration ignored', { provider: PROVIDER });
      continue;
    }
    // A deregistration carries nothing but the user id: a user who reconnects and deregisters again sends
    // the same body, which must not be dropped as a redelivery. Deactivating twice is harmless.
    events.push({
      type: 'connection.deauthorized',
      providerUserId: parsed.data.userId,
      eventKey: `deregistration:${parsed.data.userId}:${ctx.clock.now().getTime()}`,
    });
  }

  for (const item of body.userPermissionsChange ?? []) {
    const parsed = garminPermissionsChangeSchema.safeParse(item);
    if (!parsed.success) {
      ctx.logger.warn('malformed Garmin permissions change ignored', { provider: PROVIDER });
      continue;
    }
    events.push({
      type: 'connection.permissions_changed',
      providerUserId: parsed.data.userId,
      eventKey: `permissions:${parsed.data.userId}:${digest(withoutToken(item))}`,
      scopes: parsed.data.permissions,
    });
  }
  return events;
}

/**
 * Garmin notifications are authenticated only by the (public) client id, so a `deregistrations` or
 * `userPermissionsChange` item is checked with the user's token against `GET /user/permissions` before
 * core acts on it: a deregistered user's token is refused, and so is its refresh (`revoked`); a 5xx, 429
 * or timeout is `unknown`; the permissions stored are the ones Garmin returns, never the body's.
 */
export function garminWebhooks(settings: GarminSettings): ProviderWebhooksV1 {
  const permissions = (ctx: ConnectionContext) => fetchGarminPermissions(settings, ctx, { retry: false });
  return {
    maxBodyBytes: settings.maxBodyBytes,
    verifyHeaders: (request) => verifyGarminNotification(settings, request),
    verify: (request) => verifyGarminNotification(settings, request),
    parse: (request, ctx) => parseGarminNotification(request, ctx),
    confirmDeauthorization: (ctx) => confirmAccess(() => permissions(ctx)),
    async confirmPermissions(ctx): Promise<PermissionsConfirmation> {
      try {
        return { status: 'authorized', scopes: await permissions(ctx) };
      } catch (error) {
        return { status: accessConfirmationOf(error) === 'revoked' ? 'revoked' : 'unknown' };
      }
    },
  };
}
