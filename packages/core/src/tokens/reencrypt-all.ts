import type { Runtime } from '../registry/runtime';

/**
 * Rewrites every connection whose tokens are not in the current form (legacy plaintext, or an older key
 * id) with the current key. Each row is written with a compare-and-set on its refresh token, so a refresh
 * racing with it wins and is not overwritten. Returns how many rows were rewritten.
 */
export async function reencryptAllTokens(rt: Runtime): Promise<number> {
  const connections = await rt.store.listConnections();
  let rewritten = 0;
  for (const connection of connections) {
    const refreshCurrent = connection.refreshToken === null || rt.cipher.isCurrent(connection.refreshToken);
    if (rt.cipher.isCurrent(connection.accessToken) && refreshCurrent) continue;
    const accessToken = rt.cipher.encrypt(rt.cipher.decrypt(connection.accessToken));
    const refreshToken =
      connection.refreshToken === null ? null : rt.cipher.encrypt(rt.cipher.decrypt(connection.refreshToken));
    const written = await rt.store.updateTokens(
      connection.id,
      {
        accessToken,
        refreshToken,
        tokenExpiresAt: connection.tokenExpiresAt,
        refreshTokenExpiresAt: connection.refreshTokenExpiresAt,
      },
      rt.clock.now(),
      connection.refreshToken,
    );
    if (written) rewritten++;
    else
      rt.logger.info('tokens changed while re-encrypting; the new ones are already encrypted', {
        connectionId: connection.id,
      });
  }
  return rewritten;
}
