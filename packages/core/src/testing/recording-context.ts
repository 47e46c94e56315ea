import type { ConnectionContext, ConnectionInfo } from '../provider/v1/context';
import type { ProviderV1 } from '../provider/v1/provider-v1';
import { createHttpClient, type FetchFunction } from '../provider-utils/http-client';
import { silentLogger } from '../runtime/logger';
import { FakeClock } from './fake-clock';

/** A request a plugin sent through a recording context. */
export interface RecordedRequest {
  method: string;
  url: string;
  /** The `Authorization` header core's client added (`Bearer <token>` for `auth: 'user'`). */
  authorization: string | null;
}

export interface RecordingContextOptions {
  /** The connection the calls are made for. */
  connection: ConnectionInfo;
  /** The answer to every request (default: 200 with an empty JSON array). */
  respond?: (request: RecordedRequest) => Response;
  /** The user's access token core's client sends (default `user-access-token`). */
  accessToken?: string;
  clock?: FakeClock;
}

/**
 * A `ConnectionContext` for one plugin as core builds it (core's HTTP client: authorization, rate-limit spec,
 * `describeError`, no retries), whose fetch records each request and answers with `respond` instead of sending
 * it. For tests that must see what a plugin would request, e.g. that a URL from a webhook body off the
 * provider's API is refused before anything is sent.
 */
export function createRecordingContext(
  provider: Pick<ProviderV1, 'id' | 'name' | 'rateLimit' | 'describeError'>,
  options: RecordingContextOptions,
): { ctx: ConnectionContext; sent: RecordedRequest[] } {
  const sent: RecordedRequest[] = [];
  const respond =
    options.respond ??
    (() => new Response('[]', { status: 200, headers: { 'content-type': 'application/json' } }));
  const fetch: FetchFunction = async (input, init) => {
    const request: RecordedRequest = {
      method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
      url: String(input instanceof Request ? input.url : input),
      authorization: new Headers(init?.headers).get('authorization'),
    };
    sent.push(request);
    return respond(request);
  };
  const clock = options.clock ?? new FakeClock('2026-03-01T12:00:00Z');
  const accessToken = options.accessToken ?? 'user-access-token';
  const ctx: ConnectionContext = {
    http: createHttpClient({
      provider: provider.id,
      providerName: provider.name,
      ...(provider.rateLimit ? { rateLimit: provider.rateLimit } : {}),
      ...(provider.describeError ? { describeError: provider.describeError } : {}),
      fetch,
      clock,
      logger: silentLogger,
      maxRetries: 0,
      accessToken: async () => accessToken,
    }),
    clock,
    logger: silentLogger,
    connection: options.connection,
  };
  return { ctx, sent };
}
