import type { ServerResponse } from 'node:http';
import { renderConsentPage } from '../consent-page';
import { readParams, sendJson, stravaError } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { SandboxRequest } from './api-request';

/** Every scope Strava's consent page knows. */
export const ALL_SCOPES = [
  'read',
  'read_all',
  'profile:read_all',
  'profile:write',
  'activity:read',
  'activity:read_all',
  'activity:write',
];

const FORWARDED = ['client_id', 'redirect_uri', 'response_type', 'approval_prompt', 'state'];
const ATHLETE_LIMIT_PAGE = `<!doctype html><html><head><title>Error 403</title></head><body><h1>Error 403: Limit of connected athletes exceeded</h1><p>This app has exceeded the limit of connected athletes. If you are a developer of this application, please contact Strava developer support for how to request a quota increase.</p></body></html>`;

/** `GET /oauth/authorize` (and `/oauth/mobile/authorize`): the consent page, or 400 for a bad request. */
export function consentPage(state: SandboxState, res: ServerResponse, url: URL): void {
  const q = url.searchParams;
  const problem =
    q.get('client_id') !== state.clientId
      ? stravaError('Bad Request', 'Application', 'client_id', 'invalid')
      : !q.get('redirect_uri')
        ? stravaError('Bad Request', 'Application', 'redirect_uri', 'invalid')
        : q.get('response_type') !== 'code'
          ? stravaError('Bad Request', 'Application', 'response_type', 'invalid')
          : null;
  if (problem) {
    sendJson(res, 400, problem);
    return;
  }
  const requested = (q.get('scope') ?? 'read').split(',').filter((s) => ALL_SCOPES.includes(s));
  const hidden: Record<string, string> = {};
  for (const key of FORWARDED) {
    const v = q.get(key);
    if (v !== null) hidden[key] = v;
  }
  const html = renderConsentPage({
    action: '/oauth/authorize',
    hidden,
    scopes: requested.includes('read') ? requested : ['read', ...requested],
    athletes: state.athletes.all().map((a) => ({ id: a.athleteId, name: `${a.firstname} ${a.lastname}` })),
    selectedAthleteId: q.get('athlete_id') ?? undefined,
  });
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

/**
 * `POST /oauth/authorize`: the athlete's decision. Redirects to the app with a code and the granted
 * scopes (always with `read`), or `error=access_denied`; with the athlete cap reached, Strava's own 403
 * page and no redirect.
 */
export async function consentDecision(state: SandboxState, request: SandboxRequest): Promise<void> {
  const { req, res, url, text } = request;
  const form = readParams(req, url, text);
  const redirectUri = form.get('redirect_uri');
  if (form.get('client_id') !== state.clientId || !redirectUri) {
    return sendJson(res, 400, stravaError('Bad Request', 'Application', 'client_id', 'invalid'));
  }
  const target = new URL(redirectUri);
  const oauthState = form.get('state');
  if (oauthState !== null) target.searchParams.set('state', oauthState);
  if (form.get('decision') !== 'approve') {
    target.searchParams.set('error', 'access_denied');
  } else {
    const athleteId = form.get('athlete_id') ?? '';
    if (!state.athletes.has(athleteId)) {
      return sendJson(res, 400, stravaError('Bad Request', 'Athlete', 'athlete_id', 'invalid'));
    }
    if (state.athleteCapReached(athleteId)) {
      // Strava refuses on its own page: the app's callback is never called.
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
      res.end(ATHLETE_LIMIT_PAGE);
      return;
    }
    const scopes = [...new Set(['read', ...form.getAll('scope').flatMap((s) => s.split(','))])].filter((s) =>
      ALL_SCOPES.includes(s),
    );
    const code = state.tokens.createCode(athleteId, scopes);
    target.searchParams.set('code', code);
    target.searchParams.set('scope', scopes.join(','));
  }
  res.writeHead(302, { location: target.toString() });
  res.end();
}

/**
 * Plays the athlete at the consent page (the conformance kit's `approve`): loads the page, then posts the
 * decision for `providerUserId`; returns the redirect to the app.
 */
export async function approveAtConsentPage(
  baseUrl: string,
  authorizationUrl: string,
  options: { providerUserId: string; deny?: boolean; scopes?: string[] },
): Promise<URL> {
  const page = await fetch(authorizationUrl);
  if (page.status !== 200) {
    throw new Error(`The sandbox consent page answered ${page.status}: ${await page.text()}`);
  }
  await page.text();
  const url = new URL(authorizationUrl);
  const form = new URLSearchParams();
  for (const key of FORWARDED) {
    const v = url.searchParams.get(key);
    if (v !== null) form.set(key, v);
  }
  const requested = (url.searchParams.get('scope') ?? '').split(',').filter(Boolean);
  for (const scope of options.scopes ?? requested) form.append('scope', scope);
  form.set('athlete_id', options.providerUserId);
  form.set('decision', options.deny ? 'deny' : 'approve');
  const res = await fetch(`${baseUrl}/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) {
    throw new Error(`The sandbox consent form answered ${res.status}: ${await res.text()}`);
  }
  return new URL(location);
}
