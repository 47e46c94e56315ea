import { basicCredentials, bearerToken, readParams, sendJson, stravaError } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { SandboxRequest } from './api-request';

/**
 * `POST /oauth/revoke` (RFC 7009, Strava since 2026-06-01): the app authenticates with HTTP Basic
 * `client_id:client_secret`; the form's `token` is an access or a refresh token (`token_type_hint`
 * optional, an unknown hint ignored); revoking either revokes every token of the grant. 200 with an empty
 * body, also for a token that is unknown or already revoked.
 */
export async function revokeRoute(state: SandboxState, request: SandboxRequest): Promise<void> {
  const { req, res, url, text } = request;
  const client = basicCredentials(req);
  if (!client || client.id !== state.clientId || client.secret !== state.clientSecret) {
    res.setHeader('www-authenticate', 'Basic realm="strava"');
    return sendJson(res, 401, stravaError('Authorization Error', 'Application', 'client_id', 'invalid'));
  }
  if (
    url.searchParams.has('token') ||
    !(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
  ) {
    // RFC 7009: the token is a form parameter of the POST body, never in the URL
    return sendJson(res, 400, stravaError('Bad Request', 'Application', 'token', 'invalid'));
  }
  const token = new URLSearchParams(text).get('token');
  if (!token) return sendJson(res, 400, stravaError('Bad Request', 'Application', 'token', 'missing'));
  state.tokens.revokeToken(token);
  res.writeHead(200, { 'content-length': '0' });
  res.end();
}

/**
 * `POST /oauth/deauthorize` (until 2027-06-01): the athlete's access token revokes every token of the
 * athlete; answers `{ access_token }`.
 */
export async function deauthorizeRoute(state: SandboxState, request: SandboxRequest): Promise<void> {
  const { req, res, url, text } = request;
  const presented = bearerToken(req, readParams(req, url, text), !state.program.headerTokensOnly);
  const token = state.tokens.authenticate(presented);
  if (!token) {
    return sendJson(res, 401, stravaError('Authorization Error', 'Athlete', 'access_token', 'invalid'));
  }
  state.tokens.revokeAthlete(token.athleteId);
  sendJson(res, 200, { access_token: presented });
}
