import { ProviderApiError } from '../../errors/provider-api-error';
import type { FetchFunction } from '../http-client';
import type { RequestContext } from './request-context';

/** What one attempt on the wire came to. */
export type SendResult =
  | { kind: 'response'; response: Response }
  /** fetch threw (connection refused, reset, DNS) or the attempt's timeout fired. */
  | { kind: 'network-error'; error: unknown; timedOut: boolean }
  /** The caller's own signal aborted: not a provider failure, never retried. */
  | { kind: 'aborted'; reason: unknown };

/**
 * Sends one attempt with `fetch`, bounded by `timeoutMs` and by the caller's `signal` (whichever fires
 * first), following redirects. Never throws: a thrown fetch becomes `network-error` (with `timedOut` when the
 * timeout fired) or `aborted` (when the caller's signal did; `reason` is its reason, else fetch's error).
 */
export async function send(
  fetchFn: FetchFunction,
  url: URL,
  init: { method: string; headers: Headers; body: string | undefined },
  limits: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<SendResult> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  try {
    const response = await fetchFn(url, { ...init, signal, redirect: 'follow' });
    return { kind: 'response', response };
  } catch (error) {
    if (limits.signal?.aborted) return { kind: 'aborted', reason: limits.signal.reason ?? error };
    return { kind: 'network-error', error, timedOut: timeout.aborted };
  }
}

/**
 * The response body as text. A connection closed while the body streams throws a retryable
 * `ProviderApiError` naming the provider (the client does not retry it itself).
 */
export async function readResponseText(response: Response, context: RequestContext): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw new ProviderApiError(`${context.name} closed the connection while sending the response body`, {
      provider: context.provider,
      url: response.url,
      status: response.status,
      isRetryable: true,
      cause: error,
    });
  }
}
