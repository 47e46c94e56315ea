import { athleteJson } from '../generate-athlete';
import { readParams, sendJson, stravaError } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { SandboxRequest } from './api-request';

const ATHLETE_LIMIT_BODY = stravaError(
  'Limit of connected athletes exceeded',
  'Application',
  'connected athletes',
  'limit exceeded',
);

/**
 * `POST /oauth/token`: the code exchange (with the athlete's SummaryAthlete) and the refresh (rotating the
 * refresh token), after checking the app's credentials. A code issued before the athlete cap filled is
 * refused (403) and consumed.
 */
export async function tokenRoute(state: SandboxState, request: SandboxRequest): Promise<void> {
  const { req, res, url, text } = request;
  const form = readParams(req, url, text);
  if (form.get('client_id') !== state.clientId) {
    return sendJson(res, 400, stravaError('Bad Request', 'Application', 'client_id', 'invalid'));
  }
  if (form.get('client_secret') !== state.clientSecret) {
    return sendJson(res, 400, stravaError('Bad Request', 'Application', 'client_secret', 'invalid'));
  }
  const { tokens } = state;
  const grantType = form.get('grant_type');
  if (grantType === 'authorization_code') {
    const athleteId = tokens.codeAthlete(form.get('code') ?? '');
    if (athleteId !== null && state.athleteCapReached(athleteId)) {
      // a code issued before the cap filled: refused at the exchange (and still consumed)
      tokens.discardCode(form.get('code') ?? '');
      return sendJson(res, 403, ATHLETE_LIMIT_BODY);
    }
    const issued = tokens.exchangeCode(form.get('code') ?? '');
    if (!issued) {
      return sendJson(res, 400, stravaError('Bad Request', 'AuthorizationCode', 'code', 'invalid'));
    }
    return sendJson(res, 200, {
      ...tokens.tokenResponse(issued.accessToken, issued.refreshToken),
      athlete: athleteJson(state.athletes.get(issued.athleteId), false),
    });
  }
  if (grantType === 'refresh_token') {
    const refreshed = state.faults.rejectRefresh ? null : tokens.refresh(form.get('refresh_token') ?? '');
    if (!refreshed) {
      return sendJson(res, 400, stravaError('Bad Request', 'RefreshToken', 'refresh_token', 'invalid'));
    }
    return sendJson(res, 200, tokens.tokenResponse(refreshed.accessToken, refreshed.refreshToken));
  }
  sendJson(res, 400, stravaError('Bad Request', 'Application', 'grant_type', 'invalid'));
}
