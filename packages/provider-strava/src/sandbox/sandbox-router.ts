import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxRequestRecord } from './request-log';
import { listActivitiesRoute } from './routes/activities-list';
import { activityRoute, isActivityPath } from './routes/activity';
import type { SandboxRequest } from './routes/api-request';
import { athleteRoute } from './routes/athlete';
import { consentDecision, consentPage } from './routes/consent';
import { controlRoute } from './routes/control';
import { deauthorizeRoute, revokeRoute } from './routes/oauth-revoke';
import { tokenRoute } from './routes/oauth-token';
import { pushSubscriptionsRoute } from './routes/push-subscriptions';
import { bearerToken, readBody, sendJson, stravaError } from './sandbox-http';
import type { SandboxState } from './sandbox-state';

const NOT_FOUND = stravaError('Record Not Found', 'resource', 'path', 'invalid');
const INACTIVE_APP_BODY = stravaError('Forbidden', 'Application', 'Status', 'Inactive');
const TOKEN_AS_PARAMETER = stravaError(
  'Authorization Error',
  'Athlete',
  'access_token',
  'not accepted as a parameter: use the Authorization header',
);

/** Where the sandbox listens: the OAuth origin, and the API's own origin with `apiBase: 'api-v3'`. */
export interface SandboxOrigins {
  baseUrl: string;
  apiOrigin: string | null;
  /** What `GET /` answers besides `sandbox: 'strava'` (the environment variables). */
  env(): Record<string, string>;
}

/**
 * Routes one request: control endpoints first (not logged), then the log, the developer-program refusals
 * (tokens as parameters, an inactive app), then OAuth (consent, token, revoke, deauthorize) on the first
 * origin and the API under `/api/v3` there or at the root of the API origin.
 */
export async function routeRequest(
  state: SandboxState,
  origins: SandboxOrigins,
  req: IncomingMessage,
  res: ServerResponse,
  origin: 'oauth' | 'api',
): Promise<void> {
  const url = new URL(req.url ?? '/', origin === 'api' ? origins.apiOrigin! : origins.baseUrl);
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const text = await readBody(req);
  if (await controlRoute(state, { method, path, body: text }, res)) return;
  const scheme = /^(\w+)\s/.exec(req.headers.authorization ?? '')?.[1]?.toLowerCase() ?? null;
  const record: SandboxRequestRecord = {
    method,
    path,
    origin,
    url: `${url.pathname}${url.search}`,
    body: text,
    authorization: scheme,
  };
  state.requests.add(record);

  // From 2027-06-01 Strava reads tokens only from the Authorization header.
  if (state.program.headerTokensOnly && state.requests.leaksToken(record)) {
    return sendJson(res, 401, TOKEN_AS_PARAMETER);
  }
  const consent = path === '/oauth/authorize' || path === '/oauth/mobile/authorize';
  if (state.program.appInactive && !consent && path !== '/') return sendJson(res, 403, INACTIVE_APP_BODY);

  const request: SandboxRequest = { req, res, url, method, path, text };
  if (origin === 'api') return routeApi(state, request);
  if (consent) return method === 'POST' ? consentDecision(state, request) : consentPage(state, res, url);
  if ((path === '/oauth/token' || path === '/api/v3/oauth/token') && method === 'POST') {
    return tokenRoute(state, request);
  }
  if (path === '/oauth/revoke' && method === 'POST') return revokeRoute(state, request);
  if (path === '/oauth/deauthorize' && method === 'POST' && !state.program.retireDeauthorize) {
    return deauthorizeRoute(state, request);
  }
  if (path === '/' && method === 'GET') return sendJson(res, 200, { sandbox: 'strava', ...origins.env() });
  if (path.startsWith('/api/v3/') && !origins.apiOrigin) {
    return routeApi(state, { ...request, path: path.slice('/api/v3'.length) });
  }
  sendJson(res, 404, NOT_FOUND);
}

/** An API request (`path` without `/api/v3`): faults and rate limits, push subscriptions, then the token. */
async function routeApi(state: SandboxState, request: SandboxRequest): Promise<void> {
  const { req, res, url, method, path } = request;
  const headers = await state.faults.apply(req, res, method, path, state.rateLimiter);
  if (!headers) return;
  if (path.startsWith('/push_subscriptions')) {
    return pushSubscriptionsRoute(state, request, headers);
  }
  const token = state.tokens.authenticate(
    bearerToken(req, url.searchParams, !state.program.headerTokensOnly),
  );
  if (!token) {
    return sendJson(
      res,
      401,
      stravaError('Authorization Error', 'Athlete', 'access_token', 'invalid'),
      headers,
    );
  }
  state.athletes.get(token.athleteId); // an athlete removed from the sandbox: 500, as before
  const api = {
    res,
    url,
    method,
    path,
    headers,
    athleteId: token.athleteId,
    can: (...scopes: string[]) => scopes.some((s) => token.scopes.includes(s)),
  };
  if (method === 'GET' && path === '/athlete') return athleteRoute(state, api);
  if (method === 'GET' && path === '/athlete/activities') return listActivitiesRoute(state, api);
  if (method === 'GET' && isActivityPath(path)) return activityRoute(state, api);
  sendJson(res, 404, NOT_FOUND, headers);
}
