import { forbidden, HttpError } from '../http/http-error';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';
import type { Account } from '../state/accounts';

/** Polar's user object (kebab-case), as registration and `GET /v3/users/{id}` return it. */
function userJson(account: Account) {
  return {
    'polar-user-id': account.polarUserId,
    'member-id': account.registration?.memberId ?? null,
    'registration-date': account.registration?.date ?? null,
    'first-name': account.firstName,
    'last-name': account.lastName,
    birthdate: '1990-04-12',
    gender: account.seed % 2 === 0 ? 'FEMALE' : 'MALE',
    weight: 68,
    height: 175,
    'extra-info': [],
  };
}

/** `POST /v3/users` `{"member-id": …}`: 200 with the user, 409 when already registered, 403 without consents. */
export function registerUser(ctx: SandboxContext, account: Account, { body, res }: SandboxRequest) {
  if (!account.consentsAccepted) {
    throw forbidden('User has not accepted all mandatory consents');
  }
  if (account.registration) {
    return ctx.respond.json(res, 409, {
      status: 409,
      errorType: 'Conflict',
      message: 'User already registered',
    });
  }
  let memberId: unknown;
  try {
    memberId = (JSON.parse(body) as Record<string, unknown>)['member-id'];
  } catch {
    memberId = undefined;
  }
  if (typeof memberId !== 'string' || memberId.length === 0) {
    throw new HttpError(400, { status: 400, message: 'member-id is required' });
  }
  account.registration = { memberId, date: ctx.clock.now().toISOString() };
  return ctx.respond.json(res, 200, userJson(account));
}

/** `GET /v3/users/{id}`: the user, or 204 when not registered. */
export function getUser(ctx: SandboxContext, account: Account, { res }: SandboxRequest) {
  if (!account.consentsAccepted) throw forbidden('User has not accepted all mandatory consents');
  if (!account.registration) return ctx.respond.empty(res, 204);
  return ctx.respond.json(res, 200, userJson(account));
}

/** `DELETE /v3/users/{id}`: deregisters the user, which also revokes their tokens. */
export function deleteUser(ctx: SandboxContext, account: Account, { res }: SandboxRequest) {
  if (!account.registration)
    return ctx.respond.json(res, 404, { status: 404, message: 'User not registered' });
  account.registration = null;
  account.openTransaction = null;
  ctx.tokens.revokeAll(account.polarUserId);
  return ctx.respond.empty(res, 204);
}
