import type { IncomingMessage } from 'node:http';
import { forbidden, HttpError } from '../http/http-error';
import { readBasic, readBearer } from '../http/request-parsing';
import type { SandboxContext } from '../sandbox-context';
import type { Account } from '../state/accounts';

/**
 * Polar's two kinds of authentication: a user's Bearer token for `/v3/users/**` and `/v3/exercises`, HTTP
 * Basic client credentials for client-level calls (`/v3/webhooks`, `/v3/notifications`, the token endpoint).
 */
export function requireUser(
  ctx: SandboxContext,
  req: IncomingMessage,
  options: { registered: boolean },
): Account {
  const polarUserId = ctx.tokens.userOf(readBearer(req));
  if (polarUserId === null) {
    throw new HttpError(401, {
      status: 401,
      errorType: 'Unauthorized',
      message: 'Invalid or revoked access token',
    });
  }
  const account = ctx.accounts.get(polarUserId);
  if (options.registered) requireRegistered(ctx, account);
  return account;
}

/** 403 unless the user is registered with the client (`POST /v3/users`) and accepted the consents. */
export function requireRegistered(ctx: SandboxContext, account: Account): void {
  if (ctx.options.requireRegistration !== false && !account.registration) {
    throw forbidden('User is not registered with this client');
  }
  if (!account.consentsAccepted) throw forbidden('User has not accepted all mandatory consents');
}

export function isClient(ctx: SandboxContext, req: IncomingMessage): boolean {
  const client = readBasic(req);
  return client !== null && client.username === ctx.clientId && client.password === ctx.clientSecret;
}

export function requireClient(ctx: SandboxContext, req: IncomingMessage): void {
  if (!isClient(ctx, req)) {
    throw new HttpError(401, {
      status: 401,
      errorType: 'Unauthorized',
      message: 'Invalid client credentials',
    });
  }
}
