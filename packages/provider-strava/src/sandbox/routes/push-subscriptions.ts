import { randomBytes } from 'node:crypto';
import { readParams, sendJson, stravaError } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import { isoSeconds } from '../strava-json';
import type { SandboxRequest } from './api-request';

const NOT_FOUND = stravaError('Record Not Found', 'resource', 'path', 'invalid');

/**
 * `/push_subscriptions` (the app's credentials as parameters, no bearer token): `GET` lists the one
 * subscription, `POST` creates it after Strava's validation GET to the callback, `DELETE /{id}` removes it.
 */
export async function pushSubscriptionsRoute(
  state: SandboxState,
  request: SandboxRequest,
  headers: Record<string, string>,
): Promise<void> {
  const { req, res, url, method, path, text } = request;
  const form = readParams(req, url, text);
  if (form.get('client_id') !== state.clientId || form.get('client_secret') !== state.clientSecret) {
    const body = stravaError('Authorization Error', 'Application', 'client_id', 'invalid');
    return sendJson(res, 401, body, headers);
  }
  const subscription = state.subscription;
  if (method === 'GET' && path === '/push_subscriptions') {
    const list = subscription
      ? [
          {
            id: subscription.id,
            resource_state: 2,
            application_id: 1,
            callback_url: subscription.callbackUrl,
            created_at: subscription.createdAt,
            updated_at: subscription.createdAt,
          },
        ]
      : [];
    return sendJson(res, 200, list, headers);
  }
  if (method === 'POST' && path === '/push_subscriptions') {
    if (subscription) {
      const body = stravaError('Bad Request', 'PushSubscription', '', 'already exists');
      return sendJson(res, 400, body, headers);
    }
    const callbackUrl = form.get('callback_url') ?? '';
    const verifyToken = form.get('verify_token') ?? '';
    const challenge = randomBytes(8).toString('hex');
    if (!(await validateCallback(state, callbackUrl, verifyToken, challenge))) {
      const reason = 'GET to callback URL does not return 200';
      const body = stravaError('Bad Request', 'PushSubscription', 'callback url', reason);
      return sendJson(res, 400, body, headers);
    }
    state.subscription = {
      id: state.subscriptionId,
      callbackUrl,
      verifyToken,
      createdAt: isoSeconds(state.clock.now().getTime()),
    };
    return sendJson(res, 201, { id: state.subscriptionId }, headers);
  }
  const match = /^\/push_subscriptions\/(\d+)$/.exec(path);
  if (method === 'DELETE' && match) {
    if (!subscription || String(subscription.id) !== match[1]) {
      const body = stravaError('Record Not Found', 'PushSubscription', 'id', 'invalid');
      return sendJson(res, 404, body, headers);
    }
    state.subscription = null;
    res.writeHead(204, headers);
    res.end();
    return;
  }
  sendJson(res, 404, NOT_FOUND, headers);
}

/** Strava's validation GET: the callback must echo `hub.challenge` as JSON within 2 seconds. */
async function validateCallback(
  state: SandboxState,
  callbackUrl: string,
  verifyToken: string,
  challenge: string,
): Promise<boolean> {
  try {
    const target = new URL(callbackUrl);
    target.searchParams.set('hub.verify_token', verifyToken);
    target.searchParams.set('hub.challenge', challenge);
    target.searchParams.set('hub.mode', 'subscribe');
    const res = await state.fetch(target, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return false;
    const body = (await res.json()) as Record<string, unknown>;
    return body['hub.challenge'] === challenge;
  } catch {
    return false;
  }
}
