import { renderConsentPage } from '../consent-page';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';
import { TOKEN_TTL_S } from '../state/tokens';
import { isClient } from './auth-guards';

function escapeText(value: string | null): string {
  return String(value ?? '').replace(/[<>&"']/g, '');
}

/**
 * `GET /oauth2/authorization` (flow.polar.com at Polar) shows the consent page; its form POSTs back here with
 * the chosen account and decision, and the user is redirected with `code` or `error` (and `state`).
 */
export function authorize(ctx: SandboxContext, { method, url, body, res }: SandboxRequest) {
  const params = method === 'POST' ? new URLSearchParams(body) : url.searchParams;
  const clientId = params.get('client_id');
  if (clientId !== ctx.clientId)
    return ctx.respond.html(res, 400, `<h1>Unknown client_id ${escapeText(clientId)}</h1>`);
  const registered = ctx.options.redirectUris ?? [];
  const given = params.get('redirect_uri');
  if (given && registered.length > 0 && !registered.includes(given)) {
    return ctx.respond.html(res, 400, '<h1>redirect_uri does not match a registered redirect URI</h1>');
  }
  const redirect = given ?? registered[0];
  if (!redirect)
    return ctx.respond.html(res, 400, '<h1>redirect_uri is required: the client has none registered</h1>');
  const state = params.get('state');
  const back = (query: Record<string, string>) => {
    const target = new URL(redirect);
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString() }).end();
  };
  if (params.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
  const scope = params.get('scope');
  if (scope?.split(/[\s,]+/).some((s) => s && s !== 'accesslink.read_all')) {
    return back({ error: 'invalid_scope' });
  }
  if (method === 'GET') {
    const fields: Record<string, string> = {};
    params.forEach((v, k) => {
      fields[k] = v;
    });
    const accounts = ctx.accounts.all().map((a) => ({
      polarUserId: String(a.polarUserId),
      label: `${a.firstName} ${a.lastName}`,
    }));
    return ctx.respond.html(
      res,
      200,
      renderConsentPage({ action: '/oauth2/authorization', fields, accounts, clientName: ctx.clientId }),
    );
  }
  if (params.get('decision') !== 'approve') return back({ error: 'access_denied' });
  let userId = Number(params.get('user_id'));
  if (!ctx.accounts.has(userId)) {
    if (params.get('user_id')) return ctx.respond.html(res, 400, '<h1>Unknown Polar account</h1>');
    userId = ctx.accounts.create({ activityCount: 30 }).polarUserId;
  }
  return back({ code: ctx.tokens.issueCode(userId, given, ctx.clock.now().getTime()) });
}

/**
 * `POST /v2/oauth2/token` (polarremote.com at Polar): Basic client auth, `grant_type=authorization_code`.
 * A code is single-use: reusing it revokes every token issued for the user.
 */
export function token(ctx: SandboxContext, { method, req, body, res }: SandboxRequest) {
  const answer = (status: number, json: unknown) => ctx.respond.oauthJson(res, status, json);
  if (method !== 'POST') return answer(405, { error: 'invalid_request' });
  if (!isClient(ctx, req)) return answer(401, { error: 'invalid_client' });
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'authorization_code')
    return answer(400, { error: 'unsupported_grant_type' });
  const code = ctx.tokens.code(form.get('code') ?? '');
  if (!code) return answer(400, { error: 'invalid_grant' });
  if (code.used) {
    // Polar: reusing a code deletes every token issued for the user.
    ctx.tokens.revokeAll(code.polarUserId);
    return answer(400, { error: 'invalid_grant' });
  }
  code.used = true;
  if (code.expiresAt < ctx.clock.now().getTime()) return answer(400, { error: 'invalid_grant' });
  if ((form.get('redirect_uri') ?? null) !== code.redirectUri) return answer(400, { error: 'invalid_grant' });
  return answer(200, {
    access_token: ctx.tokens.issueAccessToken(code.polarUserId),
    token_type: 'bearer',
    expires_in: TOKEN_TTL_S,
    x_user_id: code.polarUserId,
  });
}
