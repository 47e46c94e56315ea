import { ValidationError } from '../errors/errors';
import type { WebhookRequest } from '../provider/v1/webhook';

/** The body exceeded the limit: answered with 413 before anything parses it. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The webhook body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request body, stopping as soon as it exceeds `limit` bytes (without buffering the rest). */
export async function readBodyWithLimit(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
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
        return JSON.parse(readText());
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
