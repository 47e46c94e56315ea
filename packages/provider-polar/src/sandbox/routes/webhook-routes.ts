import { randomBytes } from 'node:crypto';
import { HttpError, notFound } from '../http/http-error';
import { parseJson } from '../http/request-parsing';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';
import { requireClient } from './auth-guards';

/** 400 unless Polar's PING to `url` is answered 200 (creating or activating a webhook, or changing its URL). */
async function requirePing(ctx: SandboxContext, url: string) {
  const status = (await ctx.webhooks.send({ type: 'ping' }, url))?.status ?? null;
  if (status !== 200) {
    const answer = status === null ? 'no answer' : `HTTP ${status}`;
    throw new HttpError(400, { status: 400, message: `Webhook ping to ${url} failed (${answer})` });
  }
}

function eventNames(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((e) => typeof e === 'string') : [];
}

/**
 * Webhook management (client Basic auth; one webhook per client): `GET`/`POST /v3/webhooks`,
 * `POST /v3/webhooks/activate|deactivate` (200, or 204 when there is no webhook), `PATCH`/`DELETE
 * /v3/webhooks/{id}`. Creation and activation ping the URL first; creation answers the `signature_secret_key` once.
 */
export async function webhookRoute(ctx: SandboxContext, id: string | undefined, request: SandboxRequest) {
  const { method, req, body, res } = request;
  requireClient(ctx, req);
  const webhook = ctx.webhooks.current;
  if (id === undefined && method === 'GET') {
    const data = webhook
      ? [{ id: webhook.id, events: webhook.events, url: webhook.url, active: webhook.active }]
      : [];
    return ctx.respond.json(res, 200, { data });
  }
  if (id === undefined && method === 'POST') {
    if (webhook) {
      return ctx.respond.json(res, 409, {
        status: 409,
        errorType: 'Conflict',
        message: 'Webhook already exists',
      });
    }
    const request = parseJson(body) as { events?: unknown; url?: unknown } | null;
    const events = eventNames(request?.events);
    if (typeof request?.url !== 'string' || events.length === 0) {
      throw new HttpError(400, { status: 400, message: 'events and url are required' });
    }
    const url = request.url;
    await requirePing(ctx, url);
    const created = { id: randomBytes(8).toString('hex'), events, url, active: true, failures: 0 };
    ctx.webhooks.current = created;
    return ctx.respond.json(res, 201, {
      data: { id: created.id, events, url, signature_secret_key: ctx.webhookSecret },
    });
  }
  if ((id === 'activate' || id === 'deactivate') && method === 'POST') {
    // AccessLink: 200 when done, 204 ("webhook does not exist") when there is none; activation succeeds
    // only if the URL answers the ping 200.
    if (!webhook) return ctx.respond.empty(res, 204);
    if (id === 'activate') await requirePing(ctx, webhook.url);
    webhook.active = id === 'activate';
    webhook.failures = 0;
    return ctx.respond.empty(res, 200);
  }
  if (!webhook || webhook.id !== id) throw notFound(`Webhook ${id} not found`);
  if (method === 'DELETE') {
    ctx.webhooks.current = null;
    return ctx.respond.empty(res, 204);
  }
  if (method === 'PATCH') {
    const patch = parseJson(body) as { events?: unknown; url?: unknown } | null;
    if (typeof patch?.url === 'string' && patch.url !== webhook.url) {
      await requirePing(ctx, patch.url);
      webhook.url = patch.url;
    }
    if (Array.isArray(patch?.events)) webhook.events = eventNames(patch.events);
    return ctx.respond.json(res, 200, { data: { id: webhook.id, events: webhook.events, url: webhook.url } });
  }
  throw new HttpError(405, { status: 405, message: `${method} not allowed` });
}

/** `GET /v3/notifications` (client auth): the sandbox has no pull notifications, 204. */
export function notificationsRoute(ctx: SandboxContext, { req, res }: SandboxRequest): void {
  requireClient(ctx, req);
  ctx.respond.empty(res, 204);
}
