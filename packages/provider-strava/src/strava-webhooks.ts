import {
  type ConnectionContext,
  confirmAccess,
  type FetchFunction,
  type HttpClient,
  type ProviderContext,
  type ProviderWebhooksV1,
  providerAppContext,
  toValidationIssues,
  ValidationError,
  type WebhookEvent,
  type WebhookRequest,
  type WebhookRequestHead,
  type WebhookResponse,
  WebhookVerificationError,
} from '@trainlytics/core';
import { z } from 'zod';
import {
  parseStravaJson,
  type StravaPushSubscription,
  type StravaWebhookEvent,
  stravaPushSubscriptionSchema,
  stravaWebhookEventSchema,
} from './strava-api';
import { strava } from './strava-provider';
import { resolveStravaSettings, type StravaProviderOptions, type StravaSettings } from './strava-settings';

/**
 * The subscription handshake: Strava GETs the callback with `hub.mode=subscribe`, `hub.challenge` and the
 * `hub.verify_token` chosen at creation, and expects `{"hub.challenge": "…"}` as JSON within 2 seconds.
 * Returns null when the request is not a handshake.
 */
export function answerStravaHandshake(url: URL, verifyToken: string): WebhookResponse | null {
  const mode = url.searchParams.get('hub.mode');
  if (mode === null) return null;
  const challenge = url.searchParams.get('hub.challenge');
  if (mode !== 'subscribe' || !challenge) {
    return { status: 400, body: JSON.stringify({ error: 'expected hub.mode=subscribe and hub.challenge' }) };
  }
  if (url.searchParams.get('hub.verify_token') !== verifyToken) {
    return { status: 403, body: JSON.stringify({ error: 'hub.verify_token does not match' }) };
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ 'hub.challenge': challenge }),
  };
}

/** Reads an event body; ids stay exact strings (`parseStravaJson`). Throws `ValidationError`. */
export function parseStravaWebhookBody(text: string): StravaWebhookEvent {
  let json: unknown;
  try {
    json = parseStravaJson(text);
  } catch (error) {
    throw new ValidationError('strava webhook body is not valid JSON', {
      provider: 'strava',
      entity: 'webhook',
      issues: [{ path: '(root)', message: 'invalid JSON' }],
      cause: error,
    });
  }
  const result = stravaWebhookEventSchema.safeParse(json);
  if (!result.success) {
    const issues = toValidationIssues(result.error.issues);
    throw new ValidationError(
      `strava webhook event is malformed: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { provider: 'strava', entity: 'webhook', issues },
    );
  }
  return result.data;
}

/**
 * Turns an event into Trainlytics events: activity create/update → a targeted `GET /activities/{id}`
 * (via `fetchChanged`), delete → a deletion, athlete `updates.authorized: "false"` → deauthorization.
 * Other athlete updates carry nothing to sync.
 */
export function toWebhookEvents(event: StravaWebhookEvent): WebhookEvent[] {
  const providerUserId = String(event.owner_id);
  const objectId = String(event.object_id);
  // Strava's redeliveries repeat (object_id, aspect_type, event_time) and the `updates`; the owner is kept in
  // the key too, so a host can find (and forget) an athlete's deliveries. Two edits of one activity within
  // the same second share everything but `updates`: without it the second would be dropped as a redelivery
  // and the row would keep the first edit.
  const eventKey = `${event.subscription_id}:${providerUserId}:${event.object_type}:${objectId}:${event.aspect_type}:${event.event_time}${updatesKey(event.updates)}`;
  if (event.object_type === 'athlete') {
    const authorized = event.updates?.authorized;
    if (authorized === 'false' || authorized === false) {
      return [{ type: 'connection.deauthorized', providerUserId, eventKey }];
    }
    return [];
  }
  if (event.aspect_type === 'delete') {
    return [{ type: 'activity.deleted', providerUserId, eventKey, providerActivityId: objectId }];
  }
  return [{ type: 'activity.changed', providerUserId, eventKey, ref: objectId }];
}

/** `updates` in a stable form (keys sorted), empty when there are none: a redelivery gives the same text. */
function updatesKey(updates: StravaWebhookEvent['updates']): string {
  if (!updates || Object.keys(updates).length === 0) return '';
  const sorted = Object.keys(updates)
    .sort()
    .map((key) => [key, (updates as Record<string, unknown>)[key]]);
  return `:${JSON.stringify(sorted)}`;
}

/** The plugin's `webhooks`: handshake, authentication by `subscription_id`, parsing. */
export function createStravaWebhooks(settings: StravaSettings): ProviderWebhooksV1 {
  return {
    maxBodyBytes: 64 * 1024,
    handshake(request: WebhookRequest) {
      if (request.method !== 'GET') return null;
      return answerStravaHandshake(request.url, settings.verifyToken());
    },
    // Strava's credential (the subscription id) is in the body; only the method can be refused before it.
    verifyHeaders(request: WebhookRequestHead) {
      if (request.method !== 'POST' && request.method !== 'GET') {
        throw new WebhookVerificationError(`Strava sends events with POST, not ${request.method}`, {
          provider: 'strava',
          status: 405,
        });
      }
    },
    verify(request: WebhookRequest) {
      if (request.method !== 'POST') {
        throw new WebhookVerificationError(`Strava sends events with POST, not ${request.method}`, {
          provider: 'strava',
          status: 405,
        });
      }
      // Strava does not sign events: the subscription id is the shared value that authenticates them.
      const match = /"subscription_id"\s*:\s*"?(\d+)/.exec(request.text());
      const expected = settings.subscriptionId();
      if (!match || match[1] !== expected) {
        throw new WebhookVerificationError(
          `Strava webhook event is not for push subscription ${expected} (got ${match?.[1] ?? 'none'})`,
          {
            provider: 'strava',
            status: 403,
            hint: 'check STRAVA_WEBHOOK_SUBSCRIPTION_ID against GET /push_subscriptions',
          },
        );
      }
    },
    parse(request: WebhookRequest) {
      return toWebhookEvents(parseStravaWebhookBody(request.text()));
    },
    // Anyone who saw one event knows the subscription id, so an `authorized: "false"` event is checked
    // against Strava before the athlete is disconnected: only a refused token whose refresh is refused too
    // is a revocation; a 5xx, 429 or timeout means Strava cannot tell now (core keeps the connection).
    confirmDeauthorization: (ctx: ConnectionContext) =>
      confirmAccess(() =>
        ctx.http.request({
          url: `${settings.apiUrl()}/athlete`,
          auth: 'user',
          operation: 'confirm deauthorization',
          retry: false,
          parse: parseStravaJson,
        }),
      ),
  };
}

/** Manages the app's single push subscription (`/push_subscriptions`, authenticated by client id/secret). */
export interface StravaPushSubscriptions {
  /** Creates the subscription; Strava validates `callbackUrl` with the handshake before answering. */
  create(params: { callbackUrl: string; verifyToken: string }): Promise<{ id: string }>;
  list(): Promise<StravaPushSubscription[]>;
  delete(id: string | number): Promise<void>;
}

export function stravaPushSubscriptions(
  options: StravaProviderOptions & {
    /**
     * The runtime's context for Strava (`trainlytics.providerContext('strava')`): the calls then go through
     * the instance's fetch, logger, retries and shared rate-limit tracking. Without it, the same client is
     * built by `providerAppContext` from this plugin and `fetch`.
     */
    context?: ProviderContext;
    /** A client used as is, before `context`. */
    http?: HttpClient;
    fetch?: FetchFunction;
  } = {},
): StravaPushSubscriptions {
  const settings = resolveStravaSettings(options);
  const http = options.http ?? (options.context ?? providerAppContext(strava(options))).http;
  const credentials = () => ({ client_id: settings.clientId(), client_secret: settings.clientSecret() });
  return {
    async create({ callbackUrl, verifyToken }) {
      const res = await http.request({
        method: 'POST',
        url: `${settings.apiUrl()}/push_subscriptions`,
        form: { ...credentials(), callback_url: callbackUrl, verify_token: verifyToken },
        schema: z.object({ id: z.union([z.number(), z.string()]) }),
        operation: 'create push subscription',
        retry: false,
      });
      return { id: String(res.data.id) };
    },
    async list() {
      const res = await http.request({
        url: `${settings.apiUrl()}/push_subscriptions`,
        query: credentials(),
        schema: z.array(stravaPushSubscriptionSchema),
        operation: 'list push subscriptions',
      });
      return res.data;
    },
    async delete(id) {
      await http.request({
        method: 'DELETE',
        url: `${settings.apiUrl()}/push_subscriptions/${encodeURIComponent(String(id))}`,
        query: credentials(),
        operation: 'delete push subscription',
      });
    },
  };
}
