import { assertMayWritePlaintext } from '../crypto/plaintext-guard';
import {
  NotFoundError,
  OAuthError,
  type ReauthorizationReason,
  ReauthorizationRequiredError,
  SyncInProgressError,
} from '../errors/errors';
import { ProviderApiError } from '../errors/provider-api-error';
import type { ConnectionContext, ConnectionInfo } from '../provider/v1/context';
import type { RequestClass } from '../provider/v1/http';
import type { Provider } from '../provider/v1/provider-v1';
import { withLease } from '../registry/lease';
import {
  createConnectionContext,
  createProviderContext,
  type RequestCounter,
} from '../registry/provider-http';
import type { Runtime } from '../registry/runtime';
import type { ConnectionRecord, TokenUpdate } from '../store/store';

export interface SessionOptions {
  signal?: AbortSignal | undefined;
  /** Counts every request made for this session, refreshes included. */
  counter?: RequestCounter | undefined;
  /** The class of the session's API requests (default `background`); refreshes are always `oauth`. */
  requestClass?: RequestClass | undefined;
  /** The longest the session's background requests wait for a rate-limit window (default: the host's). */
  maxRateLimitWaitMs?: number | undefined;
}

/**
 * The token lifecycle of one connection for one operation (a sync, a webhook, a revoke): hands out a
 * valid access token, refreshing it ahead of expiry or after a 401 under a cross-process lease, and
 * marks the connection `reauth_required` when the provider refuses it.
 */
export interface ConnectionSession {
  readonly provider: Provider;
  /** The latest known row (refreshed tokens included). */
  readonly record: ConnectionRecord;
  /** A valid access token (plaintext): refreshed first when it expires within the margin. */
  accessToken(): Promise<string>;
  /**
   * After a 401 to `rejectedToken`: the stored token when someone refreshed since that one was sent (no
   * refresh request), else a new token from a forced refresh, or `ReauthorizationRequiredError`.
   */
  onUnauthorized(rejectedToken: string): Promise<string>;
  /** The context handed to the plugin: its `http` makes `auth: 'user'` calls with this session's token. */
  context(): ConnectionContext;
}

export function connectionInfo(record: ConnectionRecord): ConnectionInfo {
  return {
    id: record.id,
    userId: record.userId,
    providerUserId: record.providerUserId,
    scopes: record.scopes,
    profile: record.providerProfile,
  };
}

/**
 * Writes of freshly rotated tokens are retried: once the provider answered a refresh, the refresh token
 * stored before is dead at the provider and the new one exists only in this process, so giving up on a
 * store error (a database restart, a failover) would make the user reconnect.
 */
const ROTATED_TOKEN_WRITE_ATTEMPTS = 4;
const ROTATED_TOKEN_WRITE_BACKOFF_MS = 250;

function isRefusal(error: unknown): boolean {
  if (OAuthError.isInstance(error)) return true;
  return ProviderApiError.isInstance(error) && (error.status === 400 || error.status === 401);
}

export function createConnectionSession(
  rt: Runtime,
  provider: Provider,
  initial: ConnectionRecord,
  options: SessionOptions = {},
): ConnectionSession {
  let record = initial;
  const id = initial.id;
  const marginMs = (provider.oauth.refreshMarginSeconds ?? 300) * 1000;
  const canRefresh = (r: ConnectionRecord) =>
    provider.capabilities.refresh && typeof provider.oauth.refresh === 'function' && r.refreshToken !== null;
  const expiresSoon = (r: ConnectionRecord, now: Date) =>
    r.tokenExpiresAt !== null && r.tokenExpiresAt.getTime() - now.getTime() <= marginMs;
  const expired = (r: ConnectionRecord, now: Date) =>
    r.tokenExpiresAt !== null && r.tokenExpiresAt.getTime() <= now.getTime();

  async function requireReauthorization(
    message: string,
    reason: ReauthorizationReason,
    cause?: unknown,
  ): Promise<never> {
    try {
      record = await rt.store.updateConnection(
        id,
        { reauthRequired: true, lastError: message },
        rt.clock.now(),
      );
    } catch (error) {
      rt.logger.error('could not mark the connection reauth_required', {
        connectionId: id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    throw new ReauthorizationRequiredError(message, {
      provider: provider.id,
      connectionId: id,
      reason,
      ...(cause === undefined ? {} : { cause }),
    });
  }

  async function writeRotated<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (attempt >= ROTATED_TOKEN_WRITE_ATTEMPTS) throw error;
        rt.logger.warn('could not store the refreshed tokens; retrying', {
          provider: provider.id,
          connectionId: id,
          attempt,
          error: error instanceof Error ? error.message : String(error),
        });
        await rt.clock.sleep(ROTATED_TOKEN_WRITE_BACKOFF_MS * attempt, options.signal);
      }
    }
  }

  /**
   * `rejected`: the token a provider answered 401 to (a forced refresh). A stored token that differs from it
   * was refreshed by someone else after that request was sent (this session's earlier refresh, another
   * process): it is used as is, without spending the refresh token again.
   */
  async function refresh(rejected?: string): Promise<string> {
    const before = record;
    return withLease(
      rt,
      `refresh:${id}`,
      {
        signal: options.signal,
        onBusy: (waited) =>
          new SyncInProgressError(
            `Another process has been refreshing the ${provider.name} token of connection ${id} for ${waited} ms`,
            { provider: provider.id, hint: 'retry later; a stuck refresh lease expires by itself' },
          ),
      },
      async () => {
        const now = rt.clock.now();
        const fresh = await rt.store.getConnection(id);
        if (!fresh) throw new NotFoundError(`Connection ${id} does not exist (deleted during the refresh?)`);
        record = fresh;
        if (fresh.reauthRequired) {
          throw new ReauthorizationRequiredError(
            fresh.lastError ?? `${provider.name} connection ${id} needs the user to reconnect`,
            { provider: provider.id, connectionId: id },
          );
        }
        // Another process (or caller) refreshed after the token we hold (or the rejected one) was read: use its token.
        if (rejected !== undefined) {
          const stored = rt.cipher.decrypt(fresh.accessToken);
          if (stored !== rejected) return stored;
        } else if (fresh.accessToken !== before.accessToken && !expiresSoon(fresh, now)) {
          return rt.cipher.decrypt(fresh.accessToken);
        }
        if (!canRefresh(fresh) || fresh.refreshToken === null) {
          return requireReauthorization(
            `The ${provider.name} access token expired and cannot be refreshed: the user must reconnect ${provider.name}`,
            'cannot-refresh',
          );
        }
        const refreshToken = rt.cipher.decrypt(fresh.refreshToken);
        // without a key, never write a plaintext token beside encrypted ones (checked before the provider
        // rotates the refresh token, so none is lost)
        await assertMayWritePlaintext(rt);
        let tokens: Awaited<ReturnType<NonNullable<Provider['oauth']['refresh']>>>;
        try {
          tokens = await provider.oauth.refresh!(
            { refreshToken },
            createProviderContext(rt, provider, {
              signal: options.signal,
              counter: options.counter,
              maxRateLimitWaitMs: options.maxRateLimitWaitMs,
            }),
          );
        } catch (error) {
          if (isRefusal(error)) {
            const code = OAuthError.isInstance(error) ? ` (${error.code})` : '';
            return requireReauthorization(
              `${provider.name} refused the refresh token${code}: the user must reconnect ${provider.name}`,
              'refresh-refused',
              error,
            );
          }
          throw error;
        }
        const update: TokenUpdate = {
          accessToken: rt.cipher.encrypt(tokens.accessToken),
          refreshToken: rt.cipher.encrypt(tokens.refreshToken ?? refreshToken),
          tokenExpiresAt: tokens.expiresAt,
          refreshTokenExpiresAt:
            tokens.refreshTokenExpiresAt === undefined
              ? fresh.refreshTokenExpiresAt
              : tokens.refreshTokenExpiresAt,
        };
        // if a failed attempt did commit, the next one finds the refresh token changed (`written` false)
        // and reads back the row, which holds these tokens
        const written = await writeRotated(() => rt.store.updateTokens(id, update, now, fresh.refreshToken));
        if (!written) {
          // Someone rotated the refresh token without the lease (an expired lease): theirs is current.
          const latest = await rt.store.getConnection(id);
          if (!latest)
            throw new NotFoundError(`Connection ${id} does not exist (deleted during the refresh?)`);
          record = latest;
          return rt.cipher.decrypt(latest.accessToken);
        }
        rt.logger.info('refreshed access token', { provider: provider.id, connectionId: id });
        record = { ...fresh, ...update, updatedAt: now };
        return tokens.accessToken;
      },
    );
  }

  const session: ConnectionSession = {
    provider,
    get record() {
      return record;
    },
    async accessToken() {
      const now = rt.clock.now();
      if (expiresSoon(record, now)) {
        if (canRefresh(record)) return refresh();
        if (expired(record, now)) {
          return requireReauthorization(
            `The ${provider.name} access token expired and ${provider.name} does not issue refresh tokens: the user must reconnect ${provider.name}`,
            'cannot-refresh',
          );
        }
      }
      return rt.cipher.decrypt(record.accessToken);
    },
    async onUnauthorized(rejectedToken) {
      if (!canRefresh(record)) {
        return requireReauthorization(
          `${provider.name} refused the access token (HTTP 401) and it cannot be refreshed: the user must reconnect ${provider.name}`,
          'token-refused',
        );
      }
      return refresh(rejectedToken);
    },
    context() {
      return createConnectionContext(rt, provider, connectionInfo(record), {
        signal: options.signal,
        counter: options.counter,
        requestClass: options.requestClass,
        maxRateLimitWaitMs: options.maxRateLimitWaitMs,
        connectionId: id,
        accessToken: () => session.accessToken(),
        onUnauthorized: (rejected) => session.onUnauthorized(rejected),
      });
    },
  };
  return session;
}
