import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireUser } from '../routes/auth-guards';
import { controlRoute, type SandboxControlActions } from '../routes/control-routes';
import { exerciseRoute } from '../routes/exercise-routes';
import { authorize, token } from '../routes/oauth-routes';
import { transactionRoute } from '../routes/transaction-routes';
import { deleteUser, getUser, registerUser } from '../routes/user-routes';
import { notificationsRoute, webhookRoute } from '../routes/webhook-routes';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';
import { forbidden, HttpError, notFound } from './http-error';
import { readBody } from './request-parsing';

/**
 * Every request: control endpoints first (outside the request log, faults and rate limits), then OAuth,
 * then the API (`/v3/…`): faults, the rate limit, the route. A route's `HttpError` is its JSON answer.
 */
export async function handleRequest(
  ctx: SandboxContext,
  actions: SandboxControlActions,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', origin);
  const method = (req.method ?? 'GET').toUpperCase();
  const request: SandboxRequest = { method, url, req, body: await readBody(req), res };
  if (await controlRoute(ctx, actions, request)) return;
  ctx.requests.push({ method, path: url.pathname });

  if (url.pathname === '/oauth2/authorization') return authorize(ctx, request);
  if (url.pathname === '/v2/oauth2/token') return token(ctx, request);
  if (!url.pathname.startsWith('/v3/'))
    return ctx.respond.json(res, 404, { status: 404, message: 'Not found' });

  const fault = await ctx.faults.intercept(req, url.pathname);
  if (fault.kind === 'dropped') return;
  if (fault.kind === 'status') {
    const code = fault.code;
    return ctx.respond.json(res, code, {
      status: code,
      errorType: 'SandboxFault',
      message: `Injected HTTP ${code}`,
    });
  }
  if (fault.kind === 'rateLimited') return ctx.respond.tooManyRequests(res, fault.retryAfterSeconds);
  if (!ctx.rateLimit.count()) return ctx.respond.tooManyRequests(res);

  try {
    await apiRoute(ctx, request);
  } catch (error) {
    if (error instanceof HttpError) return ctx.respond.json(res, error.status, error.body);
    throw error;
  }
}

/** Dispatches `/v3/<resource>/…` to the route of its API area. */
async function apiRoute(ctx: SandboxContext, request: SandboxRequest): Promise<void> {
  const { method, url } = request;
  const parts = url.pathname.replace(/\/+$/, '').split('/').slice(2); // after "/v3"
  const [resource, id, sub] = parts;

  if (resource === 'webhooks') return webhookRoute(ctx, id, request);
  if (resource === 'notifications' && method === 'GET') return notificationsRoute(ctx, request);

  if (resource === 'users' && parts.length === 1 && method === 'POST') {
    return registerUser(ctx, requireUser(ctx, request.req, { registered: false }), request);
  }
  if (resource === 'users' && id !== undefined) {
    const account = requireUser(ctx, request.req, { registered: false });
    if (String(account.polarUserId) !== id) throw forbidden('The token does not belong to this user');
    if (parts.length === 2 && method === 'GET') return getUser(ctx, account, request);
    if (parts.length === 2 && method === 'DELETE') return deleteUser(ctx, account, request);
    if (sub === 'exercise-transactions' && transactionRoute(ctx, account, parts, request)) return;
  }
  if (resource === 'exercises' && method === 'GET') {
    const account = requireUser(ctx, request.req, { registered: true });
    if (await exerciseRoute(ctx, account, parts, request)) return;
  }
  throw notFound(`No route for ${method} ${url.pathname}`);
}
