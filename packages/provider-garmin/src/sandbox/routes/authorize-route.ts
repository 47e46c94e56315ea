import { renderConsentPage, renderErrorPage } from '../sandbox-consent-page';
import { readBody, redirect, sendHtml } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { RouteRequest } from './route-request';

/**
 * `oauth2Confirm`, OAuth 2.0 with PKCE (reference §2, "OAuth 2.0 PKCE"): `GET` checks the authorization
 * request (client, `response_type=code`, an S256 `code_challenge`, a `redirect_uri`) and shows the consent
 * page; `POST` is the page's form: Deny redirects with `error=access_denied`, Approve (as a listed user or
 * a new one) sets the shared permissions, registers the user and redirects with a single-use `code`.
 * Both keep `state`.
 */
export async function handleAuthorize(state: SandboxState, { req, res, url, method }: RouteRequest) {
  if (method === 'GET') {
    const q = url.searchParams;
    const problem =
      q.get('client_id') !== state.clientId
        ? 'Unknown client_id'
        : q.get('response_type') !== 'code'
          ? 'response_type must be code'
          : !q.get('code_challenge')
            ? 'code_challenge is required (PKCE)'
            : q.get('code_challenge_method') !== 'S256'
              ? 'code_challenge_method must be S256'
              : !q.get('redirect_uri')
                ? 'redirect_uri is required'
                : null;
    if (problem) return sendHtml(res, 400, renderErrorPage(problem));
    const users = state.accounts.ids();
    return sendHtml(res, 200, renderConsentPage({ query: q, users, appName: state.clientId }));
  }
  if (method !== 'POST') return sendHtml(res, 405, renderErrorPage('Method not allowed'));
  const form = new URLSearchParams(await readBody(req));
  const redirectUri = form.get('redirect_uri');
  const challenge = form.get('code_challenge');
  if (form.get('client_id') !== state.clientId || !redirectUri || !challenge) {
    return sendHtml(res, 400, renderErrorPage('The authorization request is incomplete'));
  }
  let target: URL;
  try {
    target = new URL(redirectUri);
  } catch {
    return sendHtml(res, 400, renderErrorPage('redirect_uri is not an absolute URL'));
  }
  const stateParam = form.get('state');
  if (form.get('decision') !== 'approve') {
    target.searchParams.set('error', 'access_denied');
    if (stateParam !== null) target.searchParams.set('state', stateParam);
    return redirect(res, target);
  }
  let userId = form.get('user_id') ?? 'new';
  if (userId === 'new' || !state.accounts.has(userId)) {
    userId = state.accounts.create({ activityCount: state.options.newAccountActivities ?? 30 });
  }
  const user = state.accounts.get(userId);
  user.permissions = form.getAll('permission');
  user.registered = true;
  const code = state.tokens.createCode({ userId, clientId: state.clientId, redirectUri, challenge });
  target.searchParams.set('code', code);
  if (stateParam !== null) target.searchParams.set('state', stateParam);
  redirect(res, target);
}
