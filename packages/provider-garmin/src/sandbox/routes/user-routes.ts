import { sendJson } from '../sandbox-http';
import type { SandboxState } from '../sandbox-state';
import type { ApiCall } from './api-gate';

/**
 * The user endpoints (reference §2, "User"): `GET /user/id`, `GET /user/permissions` (what the user shares
 * now) and `DELETE /user/registration` (204: the user is deregistered, every token revoked, and Garmin owes
 * the app a deregistration notification). False when the call is not one of them.
 */
export function handleUserRoute(state: SandboxState, call: ApiCall): boolean {
  const { path, method, user, reply } = call;
  if (path === '/user/id' && method === 'GET') {
    reply(200, { userId: user.userId });
    return true;
  }
  if (path === '/user/permissions' && method === 'GET') {
    reply(200, user.permissions);
    return true;
  }
  if (path === '/user/registration' && method === 'DELETE') {
    state.deregister(user.userId);
    state.pending.push({ kind: 'deregistration', userId: user.userId });
    sendJson(call.res, 204, undefined, call.headers);
    return true;
  }
  return false;
}
