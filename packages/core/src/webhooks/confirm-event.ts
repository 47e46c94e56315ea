import type { ConnectionContext } from '../provider/v1/context';
import type { AccessConfirmation, PermissionsConfirmation, Provider } from '../provider/v1/provider-v1';
import type { Runtime } from '../registry/runtime';
import type { ConnectionRecord } from '../store/store';
import { createConnectionSession } from '../tokens/connection-session';

/**
 * Asks the provider about an unauthenticated connection event (deauthorization, permissions change) with
 * the connection's own token. Returns null when the plugin has no such check (its events are trusted).
 * A throwing check, or an answer that is not one of the documented values, counts as `unknown`; a legacy
 * boolean (the contract before core 0.1.1) reads `false` as `authorized` and `true` as `unknown`, since old
 * plugins answered true when the provider could not tell.
 */
export async function confirmDeauthorization(
  rt: Runtime,
  provider: Provider,
  connection: ConnectionRecord,
): Promise<AccessConfirmation | null> {
  const confirm = provider.webhooks?.confirmDeauthorization;
  if (!confirm) return null;
  const answer = await ask(rt, provider, connection, (ctx) => confirm.call(provider.webhooks, ctx));
  if (answer === false || answer === 'authorized') return 'authorized';
  if (answer === 'revoked') return 'revoked';
  return 'unknown';
}

/** `confirmPermissions`, normalized like `confirmDeauthorization`; null when the plugin has none. */
export async function confirmPermissions(
  rt: Runtime,
  provider: Provider,
  connection: ConnectionRecord,
): Promise<PermissionsConfirmation | null> {
  const confirm = provider.webhooks?.confirmPermissions;
  if (!confirm) return null;
  const answer = (await ask(rt, provider, connection, (ctx) => confirm.call(provider.webhooks, ctx))) as
    | PermissionsConfirmation
    | undefined;
  if (answer?.status === 'authorized' && Array.isArray(answer.scopes)) {
    return { status: 'authorized', scopes: answer.scopes.map(String) };
  }
  if (answer?.status === 'revoked') return { status: 'revoked' };
  return { status: 'unknown' };
}

async function ask(
  rt: Runtime,
  provider: Provider,
  connection: ConnectionRecord,
  check: (ctx: ConnectionContext) => Promise<unknown>,
): Promise<unknown> {
  const session = createConnectionSession(rt, provider, connection, { counter: { count: 0 } });
  try {
    return await check(session.context());
  } catch (error) {
    rt.logger.warn('the provider check of a webhook event failed', {
      provider: provider.id,
      connectionId: connection.id,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return 'unknown';
  }
}

/**
 * The provider could not confirm an event now: the connection is kept, the doubt is logged at warn and
 * written to `last_error` (shown by the dashboard, `trainlytics connections` and `Connection.lastError`),
 * and the next use of the token decides: a sync that succeeds clears it; a refused token and refresh marks
 * the connection `reauth_required`. Returns false so that the delivery is answered 503 in inline mode
 * (the provider redelivers) and its key is forgotten.
 */
export async function recordUnconfirmed(
  rt: Runtime,
  provider: Provider,
  connection: ConnectionRecord,
  what: 'deauthorization' | 'permissions change',
  eventKey: string,
): Promise<false> {
  const message = `${provider.name} sent a ${what} webhook for this account that ${provider.name} could not confirm (it did not answer clearly); the connection was kept and its next sync checks the token again`;
  rt.logger.warn(`${what} event could not be confirmed with the provider; connection kept`, {
    provider: provider.id,
    connectionId: connection.id,
    eventKey,
  });
  await rt.store.updateConnection(connection.id, { lastError: message }, rt.clock.now());
  return false;
}
