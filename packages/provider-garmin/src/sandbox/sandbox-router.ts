import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxControlTarget } from '@trainlytics/core/testing';
import { passApiGate } from './routes/api-gate';
import { handleAuthorize } from './routes/authorize-route';
import { handleBackfillRoute } from './routes/backfill-route';
import { handleControlRoute } from './routes/control-route';
import { handlePullRoute } from './routes/pull-route';
import type { RouteRequest } from './routes/route-request';
import { handleToken } from './routes/token-route';
import { handleUserRoute } from './routes/user-routes';
import { sendJson } from './sandbox-http';
import { SANDBOX_API_PATH, SANDBOX_AUTHORIZE_PATH, SANDBOX_TOKEN_PATH } from './sandbox-paths';
import type { SandboxState } from './sandbox-state';

/**
 * The sandbox's request handler: the control endpoints first (unlogged), then every request is logged and
 * goes to the consent page, the token endpoint or, through the API gate, an API endpoint; anything else is
 * a 404 in Garmin's error shape.
 */
export function createSandboxRouter(state: SandboxState, control: SandboxControlTarget) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', state.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const request: RouteRequest = { req, res, url, method };
    if (url.pathname.startsWith('/_sandbox') && (await handleControlRoute(control, request))) return;
    state.requests.record(method, url.pathname);
    if (url.pathname === SANDBOX_AUTHORIZE_PATH) return handleAuthorize(state, request);
    if (url.pathname === SANDBOX_TOKEN_PATH && method === 'POST') return handleToken(state, request);
    if (url.pathname.startsWith(`${SANDBOX_API_PATH}/`)) return handleApi(state, request);
    sendJson(res, 404, { errorMessage: `No such endpoint: ${method} ${url.pathname}` });
  };
}

async function handleApi(state: SandboxState, request: RouteRequest): Promise<void> {
  const call = await passApiGate(state, request, SANDBOX_API_PATH);
  if (!call) return;
  if (handleUserRoute(state, call) || handlePullRoute(state, call) || handleBackfillRoute(state, call))
    return;
  call.reply(404, { errorMessage: `No such endpoint: ${call.method} ${call.url.pathname}` });
}
