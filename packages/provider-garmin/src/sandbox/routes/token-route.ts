import { createHash } from 'node:crypto';
import { readBody, sendJson } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { RouteRequest } from './route-request';

/**
 * The S256 challenge of a PKCE verifier, as RFC 7636 §4.2 defines it: BASE64URL(SHA256(ASCII(verifier))).
 * Computed here from the RFC, not with the SDK's own helper, so a wrong algorithm there fails against
 * the sandbox instead of agreeing with it.
 */
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * `POST /di-oauth2-service/oauth/token` (form-encoded; client credentials in the form or HTTP Basic):
 * `authorization_code` with `code_verifier` (PKCE) and the same `redirect_uri`, and `refresh_token`, which
 * rotates (the presented token is spent). OAuth errors: `invalid_client` 401, `invalid_grant`,
 * `invalid_request`, `unsupported_grant_type` 400. The `rejectRefresh` fault refuses every refresh.
 */
export async function handleToken(state: SandboxState, { req, res }: RouteRequest) {
  const form = new URLSearchParams(await readBody(req));
  let clientId = form.get('client_id');
  let clientSecret = form.get('client_secret');
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    clientId = id ?? null;
    clientSecret = secret ?? null;
  }
  if (clientId !== state.clientId || clientSecret !== state.clientSecret) {
    return sendJson(res, 401, { error: 'invalid_client', error_description: 'Bad client credentials' });
  }
  const invalidGrant = (description: string) =>
    sendJson(res, 400, { error: 'invalid_grant', error_description: description });
  const now = state.clock.now().getTime();
  const grant = form.get('grant_type');
  if (grant === 'authorization_code') {
    const code = state.tokens.takeCode(form.get('code') ?? '');
    if (!code) return invalidGrant('Authorization code is invalid or was already used');
    if (code.expiresAt <= now) return invalidGrant('Authorization code expired');
    if (form.get('redirect_uri') !== code.redirectUri) return invalidGrant('redirect_uri does not match');
    const verifier = form.get('code_verifier');
    if (!verifier)
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'code_verifier is required' });
    if (s256(verifier) !== code.challenge)
      return invalidGrant('code_verifier does not match the code_challenge');
    return sendJson(res, 200, state.tokens.issue(code.userId));
  }
  if (grant === 'refresh_token') {
    const presented = form.get('refresh_token') ?? '';
    const stored = state.tokens.refreshToken(presented);
    if (state.faults.rejectRefresh) return invalidGrant('Refresh token revoked');
    if (!stored) return invalidGrant('Refresh token is invalid or was rotated');
    state.tokens.spendRefreshToken(presented);
    if (stored.expiresAt <= now) return invalidGrant('Refresh token expired');
    if (!state.accounts.get(stored.userId).registered)
      return invalidGrant('User deregistered the application');
    return sendJson(res, 200, state.tokens.issue(stored.userId));
  }
  return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type ${grant}` });
}
