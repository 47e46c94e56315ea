import {
  type ActivityPage,
  type ConnectionContext,
  createHttpClient,
  createMemoryRateLimitTracker,
  FakeClock,
  type FetchFunction,
  type JsonValue,
  type ProviderContext,
  type RateLimitTracker,
  silentLogger,
  type TokenSet,
} from '@trainlytics/core';
import type { StravaSandbox } from '../src/sandbox-entry';
import type { StravaProvider } from '../src/strava-provider';

export const redirectUri = 'https://app.example.com/oauth/strava/callback';

/** What core would hand the plugin: its HTTP client with the plugin's rate-limit spec, on a fake clock. */
export function createContext(
  provider: StravaProvider,
  options: {
    clock?: FakeClock;
    tracker?: RateLimitTracker;
    tokens?: { current: TokenSet };
    fetch?: FetchFunction;
  } = {},
): { ctx: ProviderContext; clock: FakeClock; tracker: RateLimitTracker } {
  const clock = options.clock ?? new FakeClock(Date.now());
  const tracker = options.tracker ?? createMemoryRateLimitTracker();
  const http = createHttpClient({
    provider: provider.id,
    providerName: provider.name,
    clock,
    logger: silentLogger,
    rateLimit: provider.rateLimit,
    rateLimitTracker: tracker,
    describeError: provider.describeError,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.tokens
      ? {
          accessToken: async () => options.tokens!.current.accessToken,
          // what core's token session does on a 401: refresh, persist the rotated token, retry once
          onUnauthorized: async () => {
            const refreshed = await provider.oauth.refresh!(
              { refreshToken: options.tokens!.current.refreshToken! },
              createContext(provider, { clock, tracker }).ctx,
            );
            options.tokens!.current = refreshed;
            return refreshed.accessToken;
          },
        }
      : {}),
  });
  return { ctx: { http, clock, logger: silentLogger }, clock, tracker };
}

/** Connects an athlete through the sandbox's consent page and the plugin's code exchange. */
export async function connectAthlete(
  sandbox: StravaSandbox,
  provider: StravaProvider,
  providerUserId: string,
  options: { scopes?: string[]; clock?: FakeClock; tracker?: RateLimitTracker; fetch?: FetchFunction } = {},
) {
  const url = provider.oauth.authorizationUrl({
    state: 'state-1',
    redirectUri,
    scopes: provider.oauth.defaultScopes,
  });
  const callback = await sandbox.approve(url.toString(), {
    providerUserId,
    ...(options.scopes ? { scopes: options.scopes } : {}),
  });
  const { ctx, clock, tracker } = createContext(provider, options);
  const result = await provider.oauth.exchangeCode(
    { code: callback.searchParams.get('code')!, redirectUri, callbackParams: callback.searchParams },
    ctx,
  );
  const tokens = { current: result.tokens };
  const connection = createContext(provider, {
    clock,
    tracker,
    tokens,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const connectionCtx: ConnectionContext = {
    ...connection.ctx,
    connection: {
      id: 1,
      userId: 1,
      providerUserId: result.providerUserId ?? null,
      scopes: result.tokens.scopes ?? [],
      profile: {},
    },
  };
  return { result, tokens, ctx: connectionCtx, clock, tracker };
}

/** Drains a listing, returning its pages (and stopping after `maxPages` to simulate an interruption). */
export async function collectPages(
  provider: StravaProvider,
  ctx: ConnectionContext,
  request: { cursor: JsonValue | null; full: boolean },
  maxPages = Number.POSITIVE_INFINITY,
): Promise<ActivityPage[]> {
  const pages: ActivityPage[] = [];
  for await (const page of provider.listActivities(ctx, request)) {
    pages.push(page);
    if (pages.length >= maxPages) break;
  }
  return pages;
}
