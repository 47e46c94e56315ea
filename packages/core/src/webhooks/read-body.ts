import { ValidationError } from '../errors/errors';
import type { WebhookRequest } from '../provider/v1/webhook';
import { parseJsonExact } from '../provider-utils/parse-json-exact';
import type { BodyReservation } from './body-budget';

/** The body exceeded the limit: answered with 413 before anything parses it. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The webhook body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The instance's webhook body budget is exhausted: answered with 503 and `Retry-After`, nothing buffered. */
export class BodyBudgetExhaustedError extends Error {
  constructor() {
    super('Too many webhook bodies are being received at once');
    this.name = 'BodyBudgetExhaustedError';
  }
}

/** The declared `content-length` when it is larger than `limit` (refused before any byte is read). */
export function declaredTooLarge(request: Request, limit: number): boolean {
  const declared = Number(request.headers.get('content-length'));
  return Number.isFinite(declared) && declared > limit;
}

/**
 * Reads a request body, stopping as soon as it exceeds `limit` bytes (without buffering the rest). With a
 * reservation, the bytes held count against the instance's budget: the declared length is reserved before
 * the first read, anything beyond it as it arrives; `BodyBudgetExhaustedError` when the budget cannot hold it.
 */
export async function readBodyWithLimit(
  request: Request,
  limit: number,
  reservation?: BodyReservation,
): Promise<Uint8Array> {
  if (declaredTooLarge(request, limit)) throw new BodyTooLargeError(limit);
  if (!request.body) return new Uint8Array(0);
  const declared = Number(request.headers.get('content-length'));
  let reserved = 0;
  if (reservation && Number.isFinite(declared) && declared > 0) {
    if (!reservation.grow(declared)) throw new BodyBudgetExhaustedError();
    reserved = declared;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    reservation?.read(value.byteLength);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    if (reservation && size > reserved) {
      if (!reservation.grow(size - reserved)) {
        await reader.cancel().catch(() => {});
        throw new BodyBudgetExhaustedError();
      }
      reserved = size;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The `WebhookRequest` a plugin sees: the raw bytes plus text/JSON views. */
export function toWebhookRequest(request: Request, body: Uint8Array, provider: string): WebhookRequest {
  let text: string | undefined;
  const readText = () => {
    text ??= new TextDecoder().decode(body);
    return text;
  };
  return {
    method: request.method.toUpperCase(),
    url: new URL(request.url),
    headers: request.headers,
    body,
    text: readText,
    json() {
      try {
        return parseJsonExact(readText());
      } catch (error) {
        throw new ValidationError(`The ${provider} webhook body is not valid JSON`, {
          provider,
          entity: 'webhook',
          issues: [{ path: '(root)', message: (error as Error).message }],
          cause: error,
        });
      }
    },
  };
}
