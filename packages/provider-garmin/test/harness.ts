import {
  type ActivityPage,
  type Clock,
  type ConnectionContext,
  type ConnectionInfo,
  createHttpClient,
  createMemoryRateLimitTracker,
  type JsonValue,
  type ProviderContext,
  pkceChallenge,
  randomToken,
  silentLogger,
  type TokenSet,
  ValidationError,
} from '@trainlytics/core';
import type { GarminProvider } from '../src/garmin-provider';

/**
 * What core does around a plugin, reduced to what these tests need: an HTTP client with retries and rate
 * limits on an injected clock, a connection whose token is refreshed on 401 (with rotation), and the OAuth
 * dance. The real engine is tested in core; here the plugin is driven directly.
 */
export function createHarness(provider: GarminProvider, clock: Clock, http: { timeoutMs?: number } = {}) {
  const tracker = createMemoryRateLimitTracker();
  const requests: Array<{ method: string; url: string; status: number | undefined }> = [];
  const httpOptions = {
    provider: provider.id,
    providerName: provider.name,
    clock,
    logger: silentLogger,
    rateLimit: provider.rateLimit,
    rateLimitTracker: tracker,
    describeError: provider.describeError,
    onRequest: (info: { method: string; url: string; status: number | undefined }) => requests.push(info),
    ...(provider.fetch ? { fetch: provider.fetch } : {}),
    ...http,
  };
  const appContext: ProviderContext = { http: createHttpClient(httpOptions), clock, logger: silentLogger };

  function connectionContext(info: ConnectionInfo, tokens: { current: TokenSet }): ConnectionContext {
    const http = createHttpClient({
      ...httpOptions,
      accessToken: async () => tokens.current.accessToken,
      onUnauthorized: async () => {
        if (!tokens.current.refreshToken) throw new Error('no refresh token');
        tokens.current = await provider.oauth.refresh!(
          { refreshToken: tokens.current.refreshToken },
          appContext,
        );
        return tokens.current.accessToken;
      },
    });
    return { http, clock, logger: silentLogger, connection: info };
  }

  /** Runs the OAuth flow against the sandbox's consent page as `providerUserId`. */
  async function connect(approve: (url: string) => Promise<URL>, redirectUri = 'http://127.0.0.1/callback') {
    const verifier = randomToken();
    const state = randomToken(16);
    const url = provider.oauth.authorizationUrl({
      state,
      redirectUri,
      scopes: provider.oauth.defaultScopes,
      codeChallenge: pkceChallenge(verifier),
    });
    const callback = await approve(url.toString());
    const code = callback.searchParams.get('code');
    if (!code) throw new Error(`no code in ${callback}`);
    const result = await provider.oauth.exchangeCode(
      { code, redirectUri, codeVerifier: verifier, callbackParams: callback.searchParams },
      appContext,
    );
    const tokens = { current: result.tokens };
    const info: ConnectionInfo = { id: null, userId: 1, providerUserId: null, scopes: [], profile: {} };
    const after = await provider.afterAuthorize(connectionContext(info, tokens));
    const connection: ConnectionInfo = {
      id: 1,
      userId: 1,
      providerUserId: after?.providerUserId ?? null,
      scopes: after?.scopes ?? [],
      profile: {},
    };
    return { callback, state, tokens, connection, ctx: connectionContext(connection, tokens), after };
  }

  /** Drains a listing like the engine: pages in order, the last cursor kept. */
  async function sync(ctx: ConnectionContext, cursor: JsonValue | null, full = false) {
    const pages: ActivityPage[] = [];
    for await (const page of provider.listActivities(ctx, { cursor, full })) pages.push(page);
    return {
      pages,
      activities: pages.flatMap((p) => p.activities),
      rejected: pages.flatMap((p) => p.rejected),
      cursor: pages.length > 0 ? pages[pages.length - 1]!.cursor : cursor,
    };
  }

  return { appContext, connectionContext, connect, sync, requests, tracker };
}

/** A `WebhookRequest` from a Fetch `Request`, as core builds it. */
export async function toWebhookRequest(request: Request) {
  const body = new Uint8Array(await request.arrayBuffer());
  const text = new TextDecoder().decode(body);
  return {
    method: request.method,
    url: new URL(request.url),
    headers: request.headers,
    body,
    text: () => text,
    json: (): unknown => {
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new ValidationError('garmin webhook body is not valid JSON', {
          provider: 'garmin',
          entity: 'webhook',
          issues: [{ path: '(root)', message: (error as Error).message }],
        });
      }
    },
  };
}
