import type { Clock, FetchFunction } from '@trainlytics/core';
import { type SandboxWebhookResponse, toSandboxWebhookResponse } from '@trainlytics/core/testing';
import type { PolarSandboxEvent } from '../sandbox-options';
import {
  SANDBOX_POLAR_EVENT_HEADER,
  SANDBOX_POLAR_SIGNATURE_HEADER,
  sandboxPolarSignature,
} from '../sign-webhook';

/** The client's webhook (Polar allows one per client). */
export interface Webhook {
  id: string;
  events: string[];
  url: string;
  active: boolean;
  failures: number;
}

export interface WebhookDeliveryOptions {
  clock: Clock;
  /** The `signature_secret_key` deliveries are signed with. */
  secret: string;
  /** The API base the EXERCISE payload's `url` points into (known once the sandbox listens). */
  apiUrl: () => string;
  /** Where deliveries go when no webhook was created (the CLI's `--webhook-url`). */
  fallbackUrl?: string;
  autoDeactivateAfterFailures?: number;
  fetch?: FetchFunction;
}

/** The client's webhook, and its deliveries: built, signed and sent as Polar does. */
export class SandboxWebhooks {
  /** The created webhook, if any. */
  current: Webhook | null = null;

  constructor(private readonly options: WebhookDeliveryOptions) {}

  /** A delivery's body and headers, signed with the webhook secret; null for an event Polar does not send. */
  delivery(event: PolarSandboxEvent): { body: string; headers: Record<string, string> } | null {
    const timestamp = this.options.clock.now().toISOString();
    let payload: Record<string, unknown>;
    if (event.type === 'ping') payload = { timestamp, event: 'PING' };
    else if (event.type === 'activity.created') {
      payload = {
        event: 'EXERCISE',
        user_id: Number(event.providerUserId),
        entity_id: event.providerActivityId,
        timestamp,
        url: `${this.options.apiUrl()}/exercises/${event.providerActivityId}`,
      };
    } else return null; // Polar has no deletion or deauthorization event.
    const body = JSON.stringify(payload);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        [SANDBOX_POLAR_EVENT_HEADER]: String(payload.event),
        [SANDBOX_POLAR_SIGNATURE_HEADER]: sandboxPolarSignature(body, this.options.secret),
      },
    };
  }

  /**
   * POSTs an event to `url` (default: the active webhook's URL, else the fallback URL) and counts a failed
   * delivery to the webhook (non-2xx or no answer; a PING is not counted), deactivating it after
   * `autoDeactivateAfterFailures`. Null when nothing was delivered or the delivery met a network error.
   */
  async send(event: PolarSandboxEvent, url?: string): Promise<SandboxWebhookResponse | null> {
    const webhook = this.current;
    const target = url ?? (webhook ? (webhook.active ? webhook.url : undefined) : this.options.fallbackUrl);
    const delivery = this.delivery(event);
    if (!target || !delivery) return null;
    const fetchFn = this.options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    let answer: SandboxWebhookResponse | null = null;
    try {
      const res = await fetchFn(target, { method: 'POST', headers: delivery.headers, body: delivery.body });
      answer = await toSandboxWebhookResponse(res);
    } catch {
      answer = null;
    }
    const status = answer?.status ?? null;
    if (this.current && target === this.current.url && event.type !== 'ping') {
      const ok = status !== null && status >= 200 && status < 300;
      this.current.failures = ok ? 0 : this.current.failures + 1;
      const limit = this.options.autoDeactivateAfterFailures;
      if (limit !== undefined && this.current.failures >= limit) this.current.active = false;
    }
    return answer;
  }
}
