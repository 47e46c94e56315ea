import { describe, expect, it } from 'vitest';
import { ProviderApiError } from '../../../src/errors/provider-api-error';
import { describeRequest } from '../../../src/provider-utils/http/request-context';
import { readResponseText, send } from '../../../src/provider-utils/http/send';

const url = new URL('https://api.example.com/x');
const init = { method: 'GET', headers: new Headers(), body: undefined };
/** A fetch that never answers until its signal aborts (the timeout or the caller). */
const hanging = (_input: unknown, options?: RequestInit) =>
  new Promise<Response>((_resolve, reject) => {
    options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true });
  });

describe('send', () => {
  it('returns the response, following redirects, with a signal on the request', async () => {
    let seen: RequestInit | undefined;
    const result = await send(
      async (_input, options) => {
        seen = options;
        return new Response('{}', { status: 201 });
      },
      url,
      init,
      { timeoutMs: 1000 },
    );
    expect(result.kind === 'response' && result.response.status).toBe(201);
    expect(seen?.redirect).toBe('follow');
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
  });

  it('a thrown fetch is a network error, a fired timeout a timed-out one; neither throws', async () => {
    const refused = await send(
      async () => {
        throw new TypeError('fetch failed');
      },
      url,
      init,
      { timeoutMs: 1000 },
    );
    expect(refused).toMatchObject({ kind: 'network-error', timedOut: false });
    expect(await send(hanging, url, init, { timeoutMs: 1 })).toMatchObject({
      kind: 'network-error',
      timedOut: true,
    });
  });

  it("the caller's abort is reported as aborted with its reason (never a provider failure)", async () => {
    const controller = new AbortController();
    const pending = send(hanging, url, init, { timeoutMs: 60_000, signal: controller.signal });
    controller.abort(new Error('shutdown'));
    expect(await pending).toEqual({ kind: 'aborted', reason: new Error('shutdown') });
  });

  it('a body cut off while streaming is a retryable ProviderApiError naming the provider', async () => {
    const body = new ReadableStream({
      pull(c) {
        c.error(new Error('socket hang up'));
      },
    });
    const context = describeRequest({ url }, 'testfit', 'Testfit');
    const error = await readResponseText(new Response(body, { status: 200 }), context).catch(
      (e: unknown) => e,
    );
    expect(ProviderApiError.isInstance(error)).toBe(true);
    expect((error as ProviderApiError).isRetryable).toBe(true);
    expect((error as Error).message).toBe('Testfit closed the connection while sending the response body');
  });
});
