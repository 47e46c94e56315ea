import type { SandboxFaults } from '@trainlytics/core/testing';
import { injectInvalidJson, injectLatency, injectRequestFault } from '../sandbox-faults';
import { sendJson } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { SandboxUser } from '../sandbox-user';
import type { RouteRequest } from './route-request';

/** An API request let through: its user, and how to answer it (rate-limit headers, `invalidJson` fault). */
export interface ApiCall extends RouteRequest {
  user: SandboxUser;
  /** The API path after `/wellness-api/rest`. */
  path: string;
  /** The fault knobs as they were when the request came in (a later `setFaults` does not change them). */
  faults: SandboxFaults;
  /** The `x-ratelimit-*` headers of this request. */
  headers: Record<string, string>;
  /** Answers with the headers; a JSON body is cut short while the `invalidJson` fault lasts. */
  reply(status: number, body: unknown): void;
}

/**
 * What every API request goes through before its endpoint, in order: the latency fault, the app-wide rate
 * limit (429 over it), the other request faults, then the bearer token (401 when missing, unknown, expired
 * or the user's deregistered). Null when the request was answered (or dropped) here.
 */
export async function passApiGate(
  state: SandboxState,
  request: RouteRequest,
  apiPath: string,
): Promise<ApiCall | null> {
  const { req, res, url } = request;
  const faults = state.faults;
  await injectLatency(faults);
  const over = state.rateLimits.overLimit();
  const headers = state.rateLimits.headers();
  if (over) {
    sendJson(
      res,
      429,
      { errorMessage: 'Rate limit exceeded' },
      { ...headers, 'retry-after': headers['x-ratelimit-reset'] ?? '60' },
    );
    return null;
  }
  if (injectRequestFault(faults, { req, res, path: url.pathname, headers })) return null;

  const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  const token = auth?.[1] ? state.tokens.accessToken(auth[1]) : undefined;
  // a deregistered user's tokens are refused whatever their expiry
  if (
    !token ||
    token.expiresAt <= state.clock.now().getTime() ||
    !state.accounts.get(token.userId).registered
  ) {
    const errorMessage = token ? 'Access token expired' : 'Invalid or missing access token';
    sendJson(res, 401, { errorMessage }, headers);
    return null;
  }
  return {
    ...request,
    user: state.accounts.get(token.userId),
    path: url.pathname.slice(apiPath.length),
    faults,
    headers,
    reply: (status, body) => sendJson(res, status, injectInvalidJson(faults, body), headers),
  };
}
