import { assertMayWritePlaintext } from '../crypto/plaintext-guard';
import {
  ConnectionLimitError,
  InsufficientScopeError,
  NotFoundError,
  OAuthError,
  OAuthStateError,
  ReauthorizationRequiredError,
} from '../errors/errors';
import type { JsonObject } from '../model/json';
import { type NormalizedProfile, profileToJson } from '../model/profile';
import type { ConnectionInfo } from '../provider/v1/context';
import type { Provider } from '../provider/v1/provider-v1';
import type { TokenSet } from '../provider/v1/tokens';
import { pkceChallenge, randomToken } from '../provider-utils/oauth';
import { createConnectionContext, createProviderContext } from '../registry/provider-http';
import { toPublicConnection } from '../registry/public-connection';
import type { Runtime } from '../registry/runtime';
import type {
  ConnectFinishInput,
  Connection,
  ConnectStartOptions,
  ConnectStartResult,
} from '../registry/types';
import { UNKNOWN_USER_HINT } from '../store/unknown-user-hint';
import { createConnectionSession } from '../tokens/connection-session';

/** States consumed by this instance, to tell "already used" from "unknown" (bounded). */
const RECENT_STATES = 1000;

export interface ConnectFlow {
  start(providerId: string, options: ConnectStartOptions): Promise<ConnectStartResult>;
  finish(providerId: string, input: ConnectFinishInput): Promise<Connection & { returnTo: string | null }>;
  disconnect(connectionId: number, options?: { revoke?: boolean }): Promise<Connection>;
}

function readCallbackParams(input: ConnectFinishInput): URLSearchParams {
  const params = new URLSearchParams(
    input.callbackParams instanceof URLSearchParams ? input.callbackParams : (input.callbackParams ?? {}),
  );
  if (input.code !== undefined) params.set('code', input.code);
  if (input.state !== undefined) params.set('state', input.state);
  return params;
}

/**
 * Refuses a new connection when the provider's `maxConnections` is reached (the provider would refuse the
 * user on its own page, where the app cannot explain it). A user who is already connected may reconnect.
 */
async function assertBelowConnectionLimit(rt: Runtime, provider: Provider, userId: number): Promise<void> {
  const limit = provider.maxConnections;
  if (limit === undefined) return;
  const active = await rt.store.listConnections({ provider: provider.id, active: true });
  if (active.some((c) => c.userId === userId)) return;
  if (active.length < limit) return;
  throw new ConnectionLimitError(
    `${provider.name} lets this app connect at most ${limit} accounts, and ${active.length} are connected: nobody else can connect now`,
    {
      provider: provider.id,
      limit,
      hint: `the app owner can disconnect an account, or ask ${provider.name} for a higher limit and raise the configured one`,
    },
  );
}

/** The OAuth connect flow: authorization URL with a single-use state, the callback, and disconnect. */
export function createConnectFlow(rt: Runtime): ConnectFlow {
  const consumed = new Set<string>();
  const remember = (state: string) => {
    consumed.add(state);
    if (consumed.size > RECENT_STATES) consumed.delete(consumed.values().next().value as string);
  };

  return {
    async start(providerId, options) {
      const provider = rt.getProvider(providerId);
      // a missing client secret is refused here, not after the user approved on the consent page
      provider.oauth.checkConfiguration?.();
      if (!Number.isInteger(options.userId)) {
        throw new TypeError(`connect.start needs an integer userId, got ${String(options.userId)}`);
      }
      await assertBelowConnectionLimit(rt, provider, options.userId);
      const now = rt.clock.now();
      const state = randomToken();
      const verifier = provider.capabilities.pkce ? randomToken(48) : null;
      const scopes = options.scopes ?? provider.oauth.defaultScopes;
      const expiresAt = new Date(now.getTime() + rt.stateTtlMs);
      await rt.store.deleteExpiredOAuthStates(now).catch((error: unknown) => {
        rt.logger.warn('could not delete expired OAuth states', {
          error: error instanceof Error ? error.message : String(error),
        });
      });
      const saved = rt.store.saveOAuthState({
        state,
        provider: provider.id,
        userId: options.userId,
        redirectUri: options.redirectUri,
        codeVerifier: verifier === null ? null : rt.cipher.encrypt(verifier),
        scopes,
        returnTo: options.returnTo ?? null,
        createdAt: now,
        expiresAt,
      });
      await saved.catch((error: unknown) => {
        // the state row references users(id): a newcomer's `userId: 42` fails here, before any redirect
        if (!NotFoundError.isInstance(error)) throw error;
        throw new NotFoundError(
          `Cannot connect ${provider.name} for user ${options.userId}: there is no user with id ${options.userId} in the users table`,
          { provider: provider.id, hint: UNKNOWN_USER_HINT, cause: error },
        );
      });
      const url = provider.oauth.authorizationUrl({
        state,
        redirectUri: options.redirectUri,
        scopes,
        ...(verifier === null ? {} : { codeChallenge: pkceChallenge(verifier) }),
      });
      return { url: url.toString(), state, expiresAt };
    },

    async finish(providerId, input) {
      const provider = rt.getProvider(providerId);
      const params = readCallbackParams(input);
      const state = params.get('state');
      if (!state) {
        throw new OAuthStateError(`The ${provider.name} callback has no state parameter`, {
          provider: provider.id,
          reason: 'missing',
        });
      }
      const record = await rt.store.consumeOAuthState(state);
      const now = rt.clock.now();
      if (!record) {
        const reused = consumed.has(state);
        throw new OAuthStateError(
          reused
            ? `This ${provider.name} authorization was already completed: its state cannot be used twice`
            : `The ${provider.name} callback's state is unknown or was already used`,
          { provider: provider.id, reason: reused ? 'reused' : 'unknown' },
        );
      }
      remember(state);
      if (record.expiresAt.getTime() <= now.getTime()) {
        throw new OAuthStateError(
          `The ${provider.name} authorization took too long: its state expired at ${record.expiresAt.toISOString()}`,
          { provider: provider.id, reason: 'expired' },
        );
      }
      if (record.provider !== provider.id) {
        throw new OAuthStateError(
          `The callback's state was issued for ${record.provider}, not ${provider.id}: check the callback route`,
          { provider: provider.id, reason: 'mismatch' },
        );
      }
      if (input.userId !== undefined && input.userId !== record.userId) {
        throw new OAuthStateError(
          `The ${provider.name} authorization was started by another user than the one finishing it`,
          { provider: provider.id, reason: 'mismatch' },
        );
      }
      const error = params.get('error');
      if (error) {
        const description = params.get('error_description') ?? undefined;
        if (error === 'access_denied') {
          throw new InsufficientScopeError(`The user declined to connect ${provider.name} (access_denied)`, {
            provider: provider.id,
            granted: [],
            required: record.scopes,
            hint: 'nothing was connected; the user can start again and approve the access',
          });
        }
        throw new OAuthError(
          `${provider.name} returned an authorization error: ${error}${description ? ` (${description})` : ''}`,
          { provider: provider.id, code: error, ...(description ? { description } : {}) },
        );
      }
      const code = params.get('code');
      if (!code) {
        throw new OAuthError(`The ${provider.name} callback has neither a code nor an error`, {
          provider: provider.id,
          code: 'missing_code',
        });
      }

      // without a key, never write a plaintext token beside encrypted ones (checked before the exchange)
      await assertMayWritePlaintext(rt);
      const result = await provider.oauth.exchangeCode(
        {
          code,
          redirectUri: record.redirectUri,
          callbackParams: params,
          ...(record.codeVerifier === null ? {} : { codeVerifier: rt.cipher.decrypt(record.codeVerifier) }),
        },
        // the user is waiting in the browser and the code expires within minutes: never queue behind syncs
        createProviderContext(rt, provider, { requestClass: 'interactive' }),
      );
      const ctx = pendingConnectionContext(rt, provider, record.userId, result.tokens, {
        providerUserId: result.providerUserId ?? result.profile?.providerUserId ?? null,
        scopes: result.tokens.scopes ?? record.scopes,
      });
      const after = (await provider.afterAuthorize?.(ctx, result)) ?? undefined;
      const scopes = after?.scopes ?? result.tokens.scopes ?? record.scopes;
      const providerUserIdKnown = after?.providerUserId ?? result.providerUserId ?? null;
      ctx.connection.scopes = scopes;
      ctx.connection.providerUserId = providerUserIdKnown ?? ctx.connection.providerUserId;
      const profile: NormalizedProfile =
        after?.profile ?? result.profile ?? (await provider.fetchProfile(ctx));
      const providerUserId = providerUserIdKnown ?? profile.providerUserId;
      const providerProfile: JsonObject = { ...profileToJson(profile), raw: profile.raw };
      const saved = await rt.store.upsertConnection(
        {
          userId: record.userId,
          provider: provider.id,
          providerUserId,
          accessToken: rt.cipher.encrypt(result.tokens.accessToken),
          refreshToken:
            result.tokens.refreshToken === null ? null : rt.cipher.encrypt(result.tokens.refreshToken),
          tokenExpiresAt: result.tokens.expiresAt,
          refreshTokenExpiresAt: result.tokens.refreshTokenExpiresAt ?? null,
          scopes,
          providerProfile,
        },
        rt.clock.now(),
      );
      rt.logger.info('connected', { provider: provider.id, connectionId: saved.id, userId: saved.userId });
      return { ...toPublicConnection(saved), returnTo: record.returnTo };
    },

    async disconnect(connectionId, options = {}) {
      const record = await rt.store.getConnection(connectionId);
      if (!record) throw new NotFoundError(`Connection ${connectionId} does not exist`);
      const provider = rt.getProvider(record.provider);
      if ((options.revoke ?? true) && record.isActive && provider.oauth.revoke) {
        try {
          const session = createConnectionSession(rt, provider, record, { requestClass: 'interactive' });
          await provider.oauth.revoke(session.context());
        } catch (error) {
          rt.logger.warn('could not revoke access at the provider; disconnecting anyway', {
            provider: provider.id,
            connectionId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      const updated = await rt.store.updateConnection(connectionId, { isActive: false }, rt.clock.now());
      rt.logger.info('disconnected', { provider: provider.id, connectionId });
      return toPublicConnection(updated);
    },
  };
}

/**
 * The context of a connection that is not saved yet (during `connect.finish`): its `http` uses the
 * freshly issued tokens. A 401 here means the provider refused a token it just issued: no refresh.
 */
function pendingConnectionContext(
  rt: Runtime,
  provider: Provider,
  userId: number,
  tokens: TokenSet,
  known: { providerUserId: string | null; scopes: string[] },
) {
  const connection: ConnectionInfo = {
    id: null,
    userId,
    providerUserId: known.providerUserId,
    scopes: known.scopes,
    profile: {},
  };
  return createConnectionContext(rt, provider, connection, {
    // the profile read and registration of a connection being made: a person waits for them
    requestClass: 'interactive',
    accessToken: async () => tokens.accessToken,
    onUnauthorized: async () => {
      throw new ReauthorizationRequiredError(
        `${provider.name} refused the access token it has just issued: start the connection again`,
        { provider: provider.id, reason: 'token-refused' },
      );
    },
  });
}
