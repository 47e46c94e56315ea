import {
  type ConformanceWebhookEvent,
  type SandboxWebhookResponse,
  toSandboxWebhookResponse,
} from '@trainlytics/core/testing';
import type { SandboxState } from './sandbox-state';
import { toStravaJson } from './strava-json';

/** The conformance events, plus Strava's activity update (`updates` like `{ title, type, private: 'true' }`). */
export type StravaSandboxWebhookEvent =
  | ConformanceWebhookEvent
  | {
      type: 'activity.updated';
      providerUserId: string;
      providerActivityId: string;
      updates?: Record<string, string>;
    };

const ASPECTS = { 'activity.created': 'create', 'activity.updated': 'update', 'activity.deleted': 'delete' };

/** The JSON body Strava would POST for an event (ids written as JSON numbers, like Strava). */
export function webhookBody(state: SandboxState, event: StravaSandboxWebhookEvent): string {
  const common = {
    event_time: Math.floor(state.clock.now().getTime() / 1000),
    owner_id: event.providerUserId,
    subscription_id: state.subscriptionId,
  };
  if (event.type === 'deauthorized') {
    return toStravaJson({
      ...common,
      aspect_type: 'update',
      object_id: event.providerUserId,
      object_type: 'athlete',
      updates: { authorized: 'false' },
    });
  }
  return toStravaJson({
    ...common,
    aspect_type: ASPECTS[event.type],
    object_id: event.providerActivityId,
    object_type: 'activity',
    updates: event.type === 'activity.updated' ? (event.updates ?? { title: 'Renamed' }) : {},
  });
}

/**
 * The delivery as a Fetch `Request` to `url` (default: the push subscription's callback). A
 * deauthorization event first revokes the athlete's tokens: Strava sends it after the athlete revoked.
 */
export function webhookRequest(
  state: SandboxState,
  event: StravaSandboxWebhookEvent,
  options: { url?: string } = {},
): Request {
  if (event.type === 'deauthorized') state.tokens.revokeAthlete(event.providerUserId);
  return new Request(options.url ?? state.subscription?.callbackUrl ?? 'http://127.0.0.1/webhooks/strava', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'faraday v0.9.2' },
    body: webhookBody(state, event),
  });
}

/**
 * POSTs an event to `url` (default: the push subscription's callback, then the `webhookUrl` option) and
 * resolves with the app's answer. Throws when there is nowhere to send it.
 */
export async function sendWebhook(
  state: SandboxState,
  event: StravaSandboxWebhookEvent,
  url?: string,
): Promise<SandboxWebhookResponse> {
  const target = url ?? state.subscription?.callbackUrl ?? state.options.webhookUrl;
  if (!target) throw new Error('sendWebhook needs a URL (or a push subscription, or webhookUrl)');
  return toSandboxWebhookResponse(await state.fetch(webhookRequest(state, event, { url: target })));
}
