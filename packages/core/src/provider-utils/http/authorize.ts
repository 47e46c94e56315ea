import type { HttpAuth } from '../../provider/v1/http';
import type { RequestContext } from './request-context';

/**
 * Sets the `authorization` header of one attempt and returns the access token it carries (only for
 * `auth: 'user'`, so that a 401 can hand exactly that token to `onUnauthorized`). Contract:
 * - `'none'`: no header, returns undefined;
 * - `'user'`: `Bearer <token>`, where the token is `freshToken` (the one `onUnauthorized` returned after a
 *   401) when given, else a fresh read of `accessToken()`; without a connection context it throws a plain
 *   `Error` (a plugin bug);
 * - `{ bearer }`: `Bearer <bearer>`; `{ basic }`: `Basic base64(username:password)`; both return undefined.
 */
export async function authorize(
  headers: Headers,
  auth: HttpAuth,
  context: RequestContext,
  tokens: { accessToken?: (() => Promise<string>) | undefined; freshToken?: string | undefined },
): Promise<string | undefined> {
  if (auth === 'none') return undefined;
  if (auth === 'user') {
    if (!tokens.accessToken) {
      throw new Error(`${context.name} ${context.what}: auth 'user' needs a connection context`);
    }
    const token = tokens.freshToken ?? (await tokens.accessToken());
    headers.set('authorization', `Bearer ${token}`);
    return token;
  }
  if ('bearer' in auth) {
    headers.set('authorization', `Bearer ${auth.bearer}`);
  } else if ('basic' in auth) {
    const encoded = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64');
    headers.set('authorization', `Basic ${encoded}`);
  }
  return undefined;
}
