import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type Clock,
  type HttpClient,
  type Logger,
  NotFoundError,
  type ProviderContext,
  type ProviderWebhooksV1,
  providerAppContext,
  validatePayload,
  type WebhookEvent,
  type WebhookRequest,
  type WebhookRequestHead,
  type WebhookResponse,
  WebhookVerificationError,
} from '@trainlytics/core';
import {
  type PolarWebhook,
  polarExerciseEventSchema,
  polarWebhookCreatedSchema,
  polarWebhookListSchema,
  polarWebhookPayloadSchema,
} from './polar-api';
import { polar } from './polar-provider';
import { createPolarSettings, type PolarSettings, type PolarSettingsOptions } from './polar-settings';

const PROVIDER = 'polar';
export const POLAR_SIGNATURE_HEADER = 'polar-webhook-signature';
export const POLAR_EVENT_HEADER = 'polar-webhook-event';

/** The lower-case hex HMAC-SHA256 of a body, as Polar puts in `Polar-Webhook-Signature`. */
export function signPolarWebhook(body: Uint8Array | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Checks a signature against the raw body in constant time. */
export function isValidPolarSignature(body: Uint8Array, signature: string | null, secret: string): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signPolarWebhook(body, secret), 'utf8');
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function isPing(request: WebhookRequest): boolean {
  if (request.headers.get(POLAR_EVENT_HEADER)?.toUpperCase() === 'PING') return true;
  try {
    const body = JSON.parse(request.text()) as { event?: unknown };
    return body?.event === 'PING';
  } catch {
    return false;
  }
}

/**
 * Polar webhook handling: the PING sent when a webhook is created (before its secret is known) is answered
 * 200; every other delivery must carry a valid `Polar-Webhook-Signature` (HMAC-SHA256 of the raw body with
 * the webhook's `signature_secret_key`), checked before the body is parsed. EXERCISE events become
 * `activity.changed` events whose `ref` is the exercise URL, fetched with that user's token.
 */
export function createPolarWebhookHandler(settings: PolarSettings): ProviderWebhooksV1 {
  return {
    maxBodyBytes: 64 * 1024,
    handshake(request: WebhookRequest): WebhookResponse | null {
      if (request.method.toUpperCase() !== 'POST' || !isPing(request)) return null;
      return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'OK' };
    },
    // Before the body is read: a delivery that is neither Polar's PING nor signed is refused at once.
    verifyHeaders(request: WebhookRequestHead): void {
      if (request.method !== 'POST') return;
      if (request.headers.get(POLAR_EVENT_HEADER)?.toUpperCase() === 'PING') return;
      if (!request.headers.get(POLAR_SIGNATURE_HEADER)) {
        throw new WebhookVerificationError('Polar webhook delivery has no Polar-Webhook-Signature header', {
          provider: PROVIDER,
          status: 401,
        });
      }
    },
    verify(request: WebhookRequest): void {
      const secret = settings.webhookSecret();
      const signature = request.headers.get(POLAR_SIGNATURE_HEADER);
      if (!signature) {
        throw new WebhookVerificationError('Polar webhook delivery has no Polar-Webhook-Signature header', {
          provider: PROVIDER,
          status: 401,
        });
      }
      if (!isValidPolarSignature(request.body, signature, secret)) {
        throw new WebhookVerificationError('Polar webhook signature does not match the body', {
          provider: PROVIDER,
          status: 401,
          hint: 'check that POLAR_WEBHOOK_SECRET is the signature_secret_key returned when the webhook was created',
        });
      }
    },
    async parse(request: WebhookRequest): Promise<WebhookEvent[]> {
      const body = request.json();
      const context = { provider: PROVIDER, entity: 'webhook' };
      const { event } = await validatePayload(polarWebhookPayloadSchema, body, context);
      // SLEEP, ACTIVITY_SUMMARY, CONTINUOUS_HEART_RATE, …: not activities, acknowledged and ignored
      if (event !== 'EXERCISE') return [];
      const payload = await validatePayload(polarExerciseEventSchema, body, context);
      const entityId = String(payload.entity_id);
      return [
        {
          type: 'activity.changed',
          providerUserId: String(payload.user_id),
          eventKey: `EXERCISE:${payload.user_id}:${entityId}`,
          // fetched by `fetchChanged` with that user's token, only if it is on the configured API
          // an empty `url` is no URL: fetched by the entity id instead
          ref: payload.url || entityId,
        },
      ];
    },
  };
}

/** Options of the webhook management helpers (client-level calls with HTTP Basic auth). */
export interface PolarWebhookAdminOptions extends PolarSettingsOptions {
  /**
   * The runtime's context for Polar (`trainlytics.providerContext('polar')`): the calls then go through the
   * instance's fetch, logger, retries and shared rate-limit tracking, and `clock`, `logger` and `fetch` here
   * are not used. Without it, the same client is built by `providerAppContext` from this plugin and them.
   */
  context?: ProviderContext;
  clock?: Clock;
  logger?: Logger;
}

export interface CreatedPolarWebhook {
  id: string;
  events: string[];
  url: string;
  /** Shown by Polar only once: store it and pass it as `webhookSecret` / `POLAR_WEBHOOK_SECRET`. */
  signatureSecretKey: string;
}

function adminClient(options: PolarWebhookAdminOptions): { http: HttpClient; settings: PolarSettings } {
  const settings = createPolarSettings(options);
  const context =
    options.context ?? providerAppContext(polar(options), { clock: options.clock, logger: options.logger });
  return { http: context.http, settings };
}

const basic = (settings: PolarSettings) => ({
  basic: { username: settings.clientId(), password: settings.clientSecret() },
});

/**
 * Creates the client's webhook (`POST /v3/webhooks`). Polar first PINGs `url`, which must answer 200
 * (`trainlytics.webhooks.handle('polar', request)` does), so the endpoint must be reachable already.
 */
export async function createPolarWebhook(
  params: { url: string; events?: string[] },
  options: PolarWebhookAdminOptions = {},
): Promise<CreatedPolarWebhook> {
  const { http, settings } = adminClient(options);
  const response = await http.request({
    method: 'POST',
    url: `${settings.apiUrl()}/webhooks`,
    json: { events: params.events ?? ['EXERCISE'], url: params.url },
    auth: basic(settings),
    schema: polarWebhookCreatedSchema,
    operation: 'create webhook',
    retry: false,
  });
  const { data } = response.data;
  return { id: data.id, events: data.events, url: data.url, signatureSecretKey: data.signature_secret_key };
}

/** Lists the client's webhooks (`GET /v3/webhooks`; Polar allows one). */
export async function listPolarWebhooks(options: PolarWebhookAdminOptions = {}): Promise<PolarWebhook[]> {
  const { http, settings } = adminClient(options);
  const response = await http.request({
    url: `${settings.apiUrl()}/webhooks`,
    auth: basic(settings),
    schema: polarWebhookListSchema,
    operation: 'list webhooks',
  });
  return response.data?.data ?? [];
}

/** Deletes a webhook (`DELETE /v3/webhooks/{id}`). */
export async function deletePolarWebhook(id: string, options: PolarWebhookAdminOptions = {}): Promise<void> {
  const { http, settings } = adminClient(options);
  await http.request({
    method: 'DELETE',
    url: `${settings.apiUrl()}/webhooks/${encodeURIComponent(id)}`,
    auth: basic(settings),
    operation: 'delete webhook',
  });
}

/**
 * Re-activates a webhook Polar deactivated after 7 days of failed deliveries (`POST /v3/webhooks/activate`).
 * Polar pings the webhook's URL first and activates it only if the ping is answered 200 (else the call fails
 * with a `ProviderApiError`). Polar answers 204 when the client has no webhook: that throws `NotFoundError`.
 */
export async function activatePolarWebhook(options: PolarWebhookAdminOptions = {}): Promise<void> {
  await switchWebhook('activate', options);
}

/**
 * Pauses the client's webhook without deleting it (`POST /v3/webhooks/deactivate`): Polar stops delivering
 * until {@link activatePolarWebhook}. Polar answers 204 when the client has no webhook: that throws
 * `NotFoundError`.
 */
export async function deactivatePolarWebhook(options: PolarWebhookAdminOptions = {}): Promise<void> {
  await switchWebhook('deactivate', options);
}

/** AccessLink's activate/deactivate: 200 when done, 204 ("webhook does not exist") when there is none. */
async function switchWebhook(
  action: 'activate' | 'deactivate',
  options: PolarWebhookAdminOptions,
): Promise<void> {
  const { http, settings } = adminClient(options);
  const response = await http.request({
    method: 'POST',
    url: `${settings.apiUrl()}/webhooks/${action}`,
    auth: basic(settings),
    operation: `${action} webhook`,
  });
  if (response.status === 204) {
    throw new NotFoundError(`Polar has no webhook for this client to ${action} (it answered 204).`, {
      provider: 'polar',
      hint: 'Create one with createPolarWebhook({ url }); listPolarWebhooks() shows what Polar has.',
    });
  }
}
