import { NotFoundError } from '@trainlytics/core';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { html } from 'hono/html';

/**
 * Who a request of the host app acts as. Every page, API answer and action is scoped to it:
 *
 * - a **user** (`{ userId }`) sees and acts only on their own connections, activities and sync history;
 *   naming another user (`?user=`) or another user's connection answers 404, exactly as for one that does
 *   not exist, so nothing leaks whether it does;
 * - an **admin** (`{ admin: true }`) may see and act on every user, choosing one with `?user=` (the
 *   operator of `trainlytics serve` with `TRAINLYTICS_ADMIN_TOKEN`, or anyone in the loopback demo mode).
 */
export type HostPrincipal =
  | { readonly admin: true; readonly userId?: undefined }
  | { readonly admin?: false; readonly userId: number };

/**
 * The host app's sign-in: reads the request (a session cookie, a bearer token, a header set by your proxy)
 * and returns who it acts as, or `null` to refuse it (401 for the API; pages redirect to `loginUrl` when
 * there is one). It runs for every page, API route and action; webhooks (authenticated by the provider's
 * own scheme), assets and `/health` do not use it, and OAuth callbacks are bound by the connect state.
 * Throwing is a server error (500), never a sign-in.
 */
export type Authenticate = (request: Request) => HostPrincipal | null | Promise<HostPrincipal | null>;

/** The sign-in options of `createHostApp` (spread `adminTokenAuth(...)` or `loopbackDemoAuth()` into them). */
export interface HostAuthOptions {
  authenticate: Authenticate;
  /** Where a browser without a sign-in is sent (`?returnTo=` is added); without it pages answer 401. */
  loginUrl?: string;
  /**
   * Routes of the sign-in itself (a login form, a logout), mounted before the guard: they are public. Gets
   * the app's origin (for CSRF checks) and whether cookies must be `Secure`.
   */
  publicRoutes?: (app: HostApp, context: { origin: string; secureCookie: boolean }) => void;
  /** True for the demo mode only: `startHostServer` refuses to listen beyond loopback with it. */
  readonly insecureDemo?: boolean;
}

/** The Hono app type of the host app: handlers read the request's principal with `principalOf(c)`. */
export type HostEnv = { Variables: { principal: HostPrincipal } };
// biome-ignore lint/suspicious/noExplicitAny: the app type is shared by handlers of any path and schema
export type HostApp = Hono<HostEnv, any, any>;

/**
 * The demo mode of `trainlytics serve` and `trainlytics demo`: everybody who reaches the server is an
 * admin and picks the user with `?user=`. Only for a server listening on loopback (`startHostServer`
 * refuses anything else with it).
 */
export function loopbackDemoAuth(): HostAuthOptions {
  return { authenticate: () => ({ admin: true }), insecureDemo: true };
}

/** Normalizes what `authenticate` returned; anything that is not a valid principal refuses (fail closed). */
function validPrincipal(value: unknown): HostPrincipal | null {
  if (!value || typeof value !== 'object') return null;
  const p = value as { admin?: unknown; userId?: unknown };
  if (p.admin === true) return { admin: true };
  if (typeof p.userId === 'number' && Number.isSafeInteger(p.userId) && p.userId > 0) {
    return { userId: p.userId };
  }
  return null;
}

/** Runs `authenticate` for a request; an invalid answer counts as a refusal. */
export async function principalFor(
  authenticate: Authenticate,
  request: Request,
): Promise<HostPrincipal | null> {
  return validPrincipal(await authenticate(request));
}

/**
 * The guard in front of every page, API route and action: a request `authenticate` refuses gets 401 (API
 * routes and anything but a page view) or, for a page view with a `loginUrl`, a redirect to sign in.
 */
export function requireSignIn(options: {
  authenticate: Authenticate;
  loginUrl?: string | undefined;
  page: (title: string, message: string) => ReturnType<typeof html>;
}): MiddlewareHandler<HostEnv> {
  return async (c, next) => {
    const principal = await principalFor(options.authenticate, c.req.raw);
    if (principal) {
      c.set('principal', principal);
      return next();
    }
    c.header('cache-control', 'no-store');
    if (c.req.path.startsWith('/api/') || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) {
      c.header('www-authenticate', 'Bearer realm="trainlytics"');
      return c.json(
        { error: 'Unauthorized', message: 'Sign in first: this route needs an authenticated user' },
        401,
      );
    }
    if (options.loginUrl) {
      const url = new URL(c.req.url);
      const returnTo = encodeURIComponent(`${url.pathname}${url.search}`);
      return c.redirect(`${options.loginUrl}?returnTo=${returnTo}`, 303);
    }
    return c.html(options.page('Sign in required', 'This page needs an authenticated user.'), 401);
  };
}

export function principalOf(c: Context<HostEnv>): HostPrincipal {
  const principal = c.get('principal');
  // The guard sets it before any protected handler runs; a missing one is a wiring bug: refuse.
  if (!principal) throw new Error('host app: a protected route ran without the sign-in guard');
  return principal;
}

/**
 * The user a request may look at. `requested` is the `?user=` (or form) value, already parsed (`undefined`
 * when absent, `null` when present but not an id). A user gets their own id, and 404 for any other; an
 * admin gets the requested user, or `'all'` when none is named.
 */
export function scopedUserId(principal: HostPrincipal, requested: number | null | undefined): number | 'all' {
  if (principal.admin) {
    if (requested === null) throw new NotFoundError('No such user');
    return requested ?? 'all';
  }
  if (requested !== undefined && requested !== principal.userId) {
    throw new NotFoundError(`No user with id ${requested ?? '(invalid)'}`);
  }
  return principal.userId;
}

/** True when the principal may see and act on a record of `ownerUserId`. */
export function mayAccess(principal: HostPrincipal, ownerUserId: number): boolean {
  return principal.admin === true || principal.userId === ownerUserId;
}
