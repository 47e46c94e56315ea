import { ValidationError, WebhookVerificationError } from '../errors/errors';
import type { ProviderContext } from '../provider/v1/context';
import type { Provider } from '../provider/v1/provider-v1';
import type { WebhookEvent, WebhookResponse } from '../provider/v1/webhook';
import { createProviderContext } from '../registry/provider-http';
import type { Runtime } from '../registry/runtime';
import { applyDeliveredStreams } from '../streams/apply-delivered-streams';
import { applyBatch } from '../sync/apply-batch';
import {
  type BodyBudget,
  type BodyReservation,
  createBodyBudget,
  DEFAULT_WEBHOOK_BODY_BUDGET_BYTES,
  DEFAULT_WEBHOOK_MAX_BODY_BYTES,
  type WebhookBodyBytes,
} from './body-budget';
import { confirmDeauthorization, confirmPermissions, recordUnconfirmed } from './confirm-event';
import {
  BodyBudgetExhaustedError,
  BodyTooLargeError,
  declaredTooLarge,
  readBodyWithLimit,
  toWebhookRequest,
} from './read-body';

/** When a delivery refused for the budget should come back (Garmin and Strava retry on their own schedule). */
const BUDGET_RETRY_AFTER_SECONDS = 10;

export interface WebhookHandler {
  handle(providerId: string, request: Request): Promise<Response>;
  /** The body budget's figures: bytes held now, the peak, bytes read, deliveries refused. */
  bodyBytes(): WebhookBodyBytes;
  idle(): Promise<void>;
}

function json(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function toResponse(response: WebhookResponse): Response {
  return new Response(response.body ?? null, {
    status: response.status,
    ...(response.headers ? { headers: response.headers } : {}),
  });
}

/**
 * Webhook deliveries in, Fetch `Response` out. Checks size, answers handshakes, verifies, parses, then
 * processes each event (deduplicated by its key) in the background or inline. Unknown accounts are
 * acknowledged with 200 so that the provider does not retry forever.
 */
export function createWebhookHandler(
  rt: Runtime,
  mode: 'background' | 'inline',
  enqueueSync?: (connectionId: number) => Promise<void>,
  budget: BodyBudget = createBodyBudget(DEFAULT_WEBHOOK_BODY_BUDGET_BYTES),
): WebhookHandler {
  const pending = new Set<Promise<void>>();

  /**
   * Applies one event. Returns false when it could not be applied: its key is then forgotten so that a
   * redelivery is processed rather than dropped as a duplicate.
   */
  async function processEvent(provider: Provider, event: WebhookEvent): Promise<boolean> {
    const fresh = await rt.store.recordWebhookEvent(provider.id, event.eventKey, rt.clock.now());
    if (!fresh) {
      rt.logger.debug('webhook event already processed', { provider: provider.id, eventKey: event.eventKey });
      return true;
    }
    let applied = false;
    try {
      applied = await applyEvent(provider, event);
      return applied;
    } finally {
      if (!applied) await rt.store.forgetWebhookEvent(provider.id, event.eventKey);
    }
  }

  async function applyEvent(provider: Provider, event: WebhookEvent): Promise<boolean> {
    const connection = await rt.store.findConnectionByProviderUser(provider.id, event.providerUserId);
    if (!connection) {
      rt.logger.info('webhook event for an account that is not connected; ignored', {
        provider: provider.id,
        type: event.type,
        providerUserId: event.providerUserId,
      });
      return true;
    }
    if (!connection.isActive) {
      rt.logger.info('webhook event for a disconnected connection; ignored', {
        provider: provider.id,
        type: event.type,
        connectionId: connection.id,
      });
      return true;
    }
    const now = () => rt.clock.now();
    switch (event.type) {
      case 'activity.changed': {
        if (event.batch) {
          const batch = event.batch;
          return (await applyBatch(rt, provider, connection, async () => batch)).status === 'success';
        } else if (event.ref !== undefined && enqueueSync) {
          await enqueueSync(connection.id);
          return true;
        } else if (event.ref !== undefined && provider.fetchChanged) {
          const ref = event.ref;
          const fetchChanged = provider.fetchChanged.bind(provider);
          const result = await applyBatch(rt, provider, connection, (ctx) => fetchChanged(ctx, ref));
          return result.status === 'success';
        }
        rt.logger.warn('activity.changed event with nothing to store (no batch, or no fetchChanged)', {
          provider: provider.id,
          connectionId: connection.id,
        });
        return true;
      }
      case 'activity.streams':
        // inline even in queue mode: a summary sync does not fetch streams (ADR 0033)
        return applyDeliveredStreams(rt, provider, connection, event);
      case 'activity.deleted': {
        const deletedIds = [event.providerActivityId];
        const result = await applyBatch(rt, provider, connection, async () => ({
          activities: [],
          rejected: [],
          deletedIds,
        }));
        return result.status === 'success';
      }
      case 'connection.deauthorized': {
        const answer = await confirmDeauthorization(rt, provider, connection);
        if (answer === 'authorized') {
          rt.logger.warn('deauthorization event not confirmed: the access token still works; ignored', {
            provider: provider.id,
            connectionId: connection.id,
          });
          // a forged event must not shadow a real one that may carry the same key later
          await rt.store.forgetWebhookEvent(provider.id, event.eventKey);
          return true;
        }
        if (answer === 'unknown') {
          return recordUnconfirmed(rt, provider, connection, 'deauthorization', event.eventKey);
        }
        await rt.store.updateConnection(
          connection.id,
          { isActive: false, lastError: `The user revoked access to ${provider.name}` },
          now(),
        );
        rt.logger.info('connection deauthorized by the provider', {
          provider: provider.id,
          connectionId: connection.id,
        });
        return true;
      }
      case 'connection.permissions_changed': {
        const answer = await confirmPermissions(rt, provider, connection);
        if (answer?.status === 'unknown') {
          return recordUnconfirmed(rt, provider, connection, 'permissions change', event.eventKey);
        }
        if (answer?.status === 'revoked') {
          // the token session marked the connection reauth_required when the provider refused it
          rt.logger.warn('permissions change for a connection whose access was refused; scopes kept', {
            provider: provider.id,
            connectionId: connection.id,
          });
          return true;
        }
        // the provider's answer, never the (unauthenticated) event's list, when the plugin can ask
        const scopes = answer ? answer.scopes : event.scopes;
        await rt.store.updateConnection(connection.id, { scopes }, now());
        return true;
      }
      default: {
        rt.logger.warn('unknown webhook event type; ignored', {
          provider: provider.id,
          type: (event as { type?: unknown }).type,
        });
        return true;
      }
    }
  }

  /** Processes every event; false when one of them could not be applied (the provider should redeliver). */
  async function processAll(provider: Provider, events: WebhookEvent[]): Promise<boolean> {
    let allApplied = true;
    for (const event of events) {
      try {
        if (!(await processEvent(provider, event))) allApplied = false;
      } catch (error) {
        allApplied = false;
        rt.logger.error('webhook event could not be processed', {
          provider: provider.id,
          type: event.type,
          eventKey: event.eventKey,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    }
    return allApplied;
  }

  return {
    async handle(providerId, request) {
      const provider = rt.providers.get(providerId);
      if (!provider?.webhooks) {
        return json(404, { error: `no webhook endpoint for provider "${providerId}"` });
      }
      const webhooks = provider.webhooks;
      const ctx = createProviderContext(rt, provider);
      const limit = webhooks.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
      // Refused on the headers alone, before a byte of the body is read: too large, or unauthenticated.
      if (declaredTooLarge(request, limit)) return json(413, { error: new BodyTooLargeError(limit).message });
      const refused = await refuseOnHeaders(provider, request, ctx);
      if (refused) return refused;
      const reservation = budget.open();
      try {
        return await handleBody(provider, request, ctx, limit, reservation);
      } finally {
        reservation.release();
      }
    },
    bodyBytes: () => budget.bytes(),
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };

  /** Runs the plugin's `verifyHeaders`: the refusal's response, or null to go on and read the body. */
  async function refuseOnHeaders(
    provider: Provider,
    request: Request,
    ctx: ProviderContext,
  ): Promise<Response | null> {
    const verifyHeaders = provider.webhooks?.verifyHeaders;
    if (!verifyHeaders) return null;
    try {
      await verifyHeaders.call(
        provider.webhooks,
        { method: request.method.toUpperCase(), url: new URL(request.url), headers: request.headers },
        ctx,
      );
      return null;
    } catch (error) {
      return errorResponse(provider, error);
    }
  }

  function errorResponse(provider: Provider, error: unknown): Response {
    if (WebhookVerificationError.isInstance(error)) {
      rt.logger.warn('webhook refused', { provider: provider.id, reason: error.message });
      return json(error.status, { error: error.message });
    }
    if (ValidationError.isInstance(error)) {
      rt.logger.warn('malformed webhook body', { provider: provider.id, error: error.message });
      return json(400, { error: error.message });
    }
    // a bug or an outage: 500 so that the provider delivers it again
    rt.logger.error('webhook could not be read', {
      provider: provider.id,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return json(500, { error: 'the webhook could not be processed; it may be delivered again' });
  }

  async function handleBody(
    provider: Provider,
    request: Request,
    ctx: ProviderContext,
    limit: number,
    reservation: BodyReservation,
  ): Promise<Response> {
    const webhooks = provider.webhooks!;
    let body: Uint8Array;
    try {
      body = await readBodyWithLimit(request, limit, reservation);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return json(413, { error: error.message });
      if (error instanceof BodyBudgetExhaustedError) {
        budget.refused();
        rt.logger.warn('webhook body budget exhausted; delivery refused with 503', {
          provider: provider.id,
          budgetBytes: budget.bytes().limit,
        });
        return new Response(JSON.stringify({ error: `${error.message}; deliver it again later` }), {
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': String(BUDGET_RETRY_AFTER_SECONDS) },
        });
      }
      rt.logger.warn('webhook body could not be read', {
        provider: provider.id,
        error: error instanceof Error ? error.message : String(error),
      });
      return json(400, { error: 'the request body could not be read' });
    }
    const webhookRequest = toWebhookRequest(request, body, provider.id);
    let events: WebhookEvent[];
    try {
      const handshake = await webhooks.handshake?.(webhookRequest, ctx);
      if (handshake) return toResponse(handshake);
      await webhooks.verify(webhookRequest, ctx);
      events = await webhooks.parse(webhookRequest, ctx);
    } catch (error) {
      return errorResponse(provider, error);
    }
    const work = processAll(provider, events);
    if (mode === 'inline') {
      // inline, the provider learns about a failure and delivers again (its keys were forgotten)
      if (!(await work)) {
        return json(503, { error: 'the webhook could not be processed now; deliver it again' });
      }
    } else {
      const tracked: Promise<void> = work.then(() => undefined);
      pending.add(tracked);
      void tracked.finally(() => pending.delete(tracked));
    }
    return json(200, { received: events.length });
  }
}
