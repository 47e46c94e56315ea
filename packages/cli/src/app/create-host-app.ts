import {
  type Connection,
  type Logger,
  NotFoundError,
  type SyncResult,
  silentLogger,
  type Trainlytics,
  TrainlyticsError,
} from '@trainlytics/core';
import type { Database } from '@trainlytics/migrations';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { connectionJson } from '../commands/connections-command';
import { syncJson } from '../commands/sync-command';
import { KNOWN_PROVIDER_IDS, providerName } from '../providers-from-env';
import type { DeadSyncJob } from '../worker/sync-queue';
import { DASHBOARD_SCRIPT, DASHBOARD_STYLES } from './dashboard-assets';
import { dashboardPage, messagePage, type ProviderPanel } from './dashboard-page';
import { csrfToken, requireCsrf, safeReturnTo, securityHeaders } from './security';
import { type AppUser, ensureUser, getUser, listUsers } from './users';

export interface HostAppOptions {
  trainlytics: Trainlytics;
  /** The host app's own database access (the `users` table). */
  db: Database;
  /** The app's public origin, e.g. `http://127.0.0.1:3000`: OAuth redirect URIs are built from it, never from a request. */
  baseUrl: string;
  logger?: Logger;
  /** Called once a connection is made (e.g. to start its first sync in the background). Must not throw. */
  onConnected?: (connection: Connection) => void;
  /** With the job queue (`serve --queue`): the sync jobs that failed every attempt, shown on the dashboard. */
  deadJobs?: () => Promise<DeadSyncJob[]>;
  /**
   * The longest "sync now" (`POST /api/connections/:id/sync`, the dashboard's button) waits for a
   * provider's rate-limit window (default 2 s). Beyond it the sync stops with its pages committed and the
   * route answers 202 `{ status: 'deferred', retryAt }`: a request is never held open for a window.
   */
  syncMaxRateLimitWaitMs?: number;
  /**
   * Called when a sync started by the app was deferred by a rate limit: run the connection's sync again at
   * `retryAt` (`serve` hands it to its scheduler, or to the job queue with `startAfter`). Must not throw.
   */
  onSyncDeferred?: (deferred: DeferredSync) => void;
}

/** A sync the provider's rate limit deferred, to be run again at `retryAt`. */
export interface DeferredSync {
  connectionId: number;
  retryAt: Date;
  full: boolean;
}

const ERROR_STATUS: Record<string, ContentfulStatusCode> = {
  NotFoundError: 404,
  OAuthStateError: 400,
  OAuthError: 400,
  InsufficientScopeError: 400,
  ValidationError: 400,
  ConnectionConflictError: 409,
  SyncInProgressError: 409,
  ReauthorizationRequiredError: 409,
  ConfigurationError: 400,
};

/**
 * The Trainlytics host app: the reference integration built only on the public API of core and the
 * plugins. Routes:
 *
 * - `GET /dashboard?user=ID` — the connections dashboard; `GET /` redirects there.
 * - `GET|POST /connect/:provider` — starts a connection (`user`, optional `returnTo`); `GET /connect/:provider/callback` finishes it.
 * - `GET|POST /webhooks/:provider` — provider webhooks, handshakes included (Fetch `Request` straight to core).
 * - `GET /api/users`, `GET /api/connections?user=`, `GET /api/connections/:id`, `GET /api/connections/:id/history`,
 *   `GET /api/activities?user=&provider=&limit=` — the JSON API.
 * - `POST /api/connections/:id/sync` (`?full=1`), `POST /api/connections/:id/disconnect` — CSRF-protected actions.
 *   A sync answers 200 when it finished, 202 `{ status: 'deferred', retryAt }` when a provider's rate limit
 *   stopped it (see `syncMaxRateLimitWaitMs`), 502 when it failed.
 */
export function createHostApp(options: HostAppOptions): Hono {
  const { trainlytics, db } = options;
  const logger = options.logger ?? silentLogger;
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const secureCookie = base.protocol === 'https:';
  const redirectUri = (provider: string) => new URL(`/connect/${provider}/callback`, origin).toString();
  const app = new Hono();

  // Webhooks first: providers post from their servers, with their own verification (no CSRF, no cookies).
  app.all('/webhooks/:provider', async (c) => {
    const provider = c.req.param('provider');
    if (!trainlytics.providerIds.includes(provider)) {
      return c.json({ error: 'NotFound', message: `No webhook endpoint for provider "${provider}"` }, 404);
    }
    return trainlytics.webhooks.handle(provider, c.req.raw);
  });

  app.use('*', securityHeaders());
  app.use('/api/*', requireCsrf(origin));
  app.use('/connect/*', requireCsrf(origin));
  app.use('/users', requireCsrf(origin));

  app.get('/assets/dashboard.js', (c) =>
    c.body(DASHBOARD_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/assets/dashboard.css', (c) =>
    c.body(DASHBOARD_STYLES, 200, { 'content-type': 'text/css; charset=utf-8' }),
  );
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/health', (c) => c.json({ ok: true }));
  app.get('/api/dead-jobs', async (c) =>
    c.json({ queue: Boolean(options.deadJobs), deadJobs: options.deadJobs ? await options.deadJobs() : [] }),
  );
  app.get('/', (c) => c.redirect('/dashboard'));

  app.get('/dashboard', async (c) => {
    const users = await listUsers(db);
    const requested = parseId(c.req.query('user'));
    const user = requested
      ? (users.find((u) => u.id === requested) ?? (await getUser(db, requested)))
      : users[0];
    const token = csrfToken(c, secureCookie);
    const notice = requested && !user ? `No user with id ${requested}` : null;
    const model = {
      users,
      user: user ?? null,
      providers: user ? await providerPanels(user) : [],
      activities: user ? await trainlytics.activities.list({ userId: user.id, limit: 25 }) : [],
      csrfToken: token,
      notice,
      syncAfterConnect: Boolean(options.onConnected),
      deadJobs: options.deadJobs ? await options.deadJobs() : null,
    };
    c.header('cache-control', 'no-store');
    return c.html(dashboardPage(model));
  });

  app.post('/users', async (c) => {
    const body = await c.req.parseBody();
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (!/^[^@\s]+@[^@\s]+$/.test(email))
      return c.html(messagePage('Invalid email', 'Enter an email address.', '/dashboard'), 400);
    const user = await ensureUser(db, { email });
    return c.redirect(`/dashboard?user=${user.id}`, 303);
  });

  const startConnect = async (c: Context, input: { provider: string; user: unknown; returnTo: unknown }) => {
    const provider = input.provider;
    const userId = parseId(typeof input.user === 'string' ? input.user : undefined);
    if (!trainlytics.providerIds.includes(provider)) {
      const message = KNOWN_PROVIDER_IDS.includes(provider)
        ? `${providerName(provider)} is not configured on this server`
        : `Unknown provider "${provider}"`;
      return c.html(messagePage('Cannot connect', message, '/dashboard'), 404);
    }
    if (!userId || !(await getUser(db, userId))) {
      return c.html(
        messagePage('Cannot connect', 'Choose an existing user first (?user=ID).', '/dashboard'),
        400,
      );
    }
    const returnTo =
      safeReturnTo(typeof input.returnTo === 'string' ? input.returnTo : null, origin) ??
      `/dashboard?user=${userId}`;
    const { url } = await trainlytics.connect.start(provider, {
      userId,
      redirectUri: redirectUri(provider),
      returnTo,
    });
    return c.redirect(url, c.req.method === 'POST' ? 303 : 302);
  };

  app.get('/connect/:provider/callback', async (c) => {
    const provider = c.req.param('provider');
    const params = new URL(c.req.url).searchParams;
    if (!trainlytics.providerIds.includes(provider)) {
      return c.html(messagePage('Cannot connect', `Unknown provider "${provider}"`, '/dashboard'), 404);
    }
    try {
      const connection = await trainlytics.connect.finish(provider, { callbackParams: params });
      logger.info('connected', { provider, connectionId: connection.id, userId: connection.userId });
      options.onConnected?.(connection);
      const back = safeReturnTo(connection.returnTo, origin) ?? `/dashboard?user=${connection.userId}`;
      return c.redirect(back, 303);
    } catch (error) {
      if (!TrainlyticsError.isInstance(error)) throw error;
      return c.html(
        messagePage(`${providerName(provider)} was not connected`, error.userMessage, '/dashboard'),
        ERROR_STATUS[error.name] ?? 400,
      );
    }
  });
  app.get('/connect/:provider', (c) =>
    startConnect(c, {
      provider: c.req.param('provider'),
      user: c.req.query('user'),
      returnTo: c.req.query('returnTo'),
    }),
  );
  app.post('/connect/:provider', async (c) => {
    const body = await c.req.parseBody();
    return startConnect(c, { provider: c.req.param('provider'), user: body.user, returnTo: body.returnTo });
  });

  app.get('/api/users', async (c) => c.json(await listUsers(db)));
  app.get('/api/connections', async (c) => {
    const userId = parseId(c.req.query('user'));
    const list = await trainlytics.connections.list(userId ? { userId } : {});
    return c.json(list.map(connectionJson));
  });
  app.get('/api/connections/:id', async (c) =>
    c.json(connectionJson(await getConnection(c.req.param('id')))),
  );
  app.get('/api/connections/:id/history', async (c) => {
    const connection = await getConnection(c.req.param('id'));
    const limit = Math.min(parseId(c.req.query('limit')) ?? 20, 200);
    return c.json(await trainlytics.history.list({ connectionId: connection.id, limit }));
  });
  app.get('/api/activities', async (c) => {
    const userId = parseId(c.req.query('user'));
    const provider = c.req.query('provider');
    const limit = Math.min(parseId(c.req.query('limit')) ?? 50, 500);
    const before = c.req.query('before');
    return c.json(
      await trainlytics.activities.list({
        ...(userId ? { userId } : {}),
        ...(provider ? { provider } : {}),
        ...(before && !Number.isNaN(Date.parse(before)) ? { before: new Date(before) } : {}),
        limit,
      }),
    );
  });
  app.post('/api/connections/:id/sync', async (c) => {
    const connection = await getConnection(c.req.param('id'));
    const full = c.req.query('full') === '1' || c.req.query('full') === 'true';
    const result: SyncResult = await trainlytics.sync(connection.id, {
      full,
      ifLocked: 'skip',
      maxRateLimitWaitMs: options.syncMaxRateLimitWaitMs ?? 2_000,
    });
    if (result.status === 'deferred' && result.retryAt) {
      options.onSyncDeferred?.({ connectionId: connection.id, retryAt: result.retryAt, full });
    }
    const status = result.status === 'success' ? 200 : result.status === 'deferred' ? 202 : 502;
    return c.json(syncJson(result), status);
  });
  app.post('/api/connections/:id/disconnect', async (c) => {
    const connection = await getConnection(c.req.param('id'));
    const disconnected = await trainlytics.disconnect(connection.id, { revoke: true });
    return c.json(connectionJson(disconnected));
  });

  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: 'NotFound', message: `No route ${c.req.method} ${c.req.path}` }, 404)
      : c.html(messagePage('Not found', `Nothing at ${c.req.path}`, '/dashboard'), 404),
  );
  app.onError((error, c) => {
    const known = TrainlyticsError.isInstance(error);
    const status: ContentfulStatusCode = known ? (ERROR_STATUS[error.name] ?? 502) : 500;
    const body = known
      ? { error: error.name, message: error.userMessage }
      : { error: 'InternalError', message: 'Something went wrong on the server; see its log' };
    if (!known) logger.error('request failed', { path: c.req.path, error: String(error) });
    return c.req.path.startsWith('/api/')
      ? c.json(body, status)
      : c.html(messagePage('Error', body.message, '/dashboard'), status);
  });

  async function providerPanels(user: AppUser): Promise<ProviderPanel[]> {
    const connections = await trainlytics.connections.list({ userId: user.id });
    const history = await trainlytics.history.list({ userId: user.id, limit: 60 });
    return KNOWN_PROVIDER_IDS.map((id) => {
      const connection = connections.find((c) => c.provider === id) ?? null;
      return {
        id,
        name: providerName(id),
        configured: trainlytics.providerIds.includes(id),
        configureHint: `set ${id.toUpperCase()}_CLIENT_ID and ${id.toUpperCase()}_CLIENT_SECRET`,
        connection,
        history: connection ? history.filter((h) => h.connectionId === connection.id).slice(0, 10) : [],
      };
    });
  }

  async function getConnection(raw: string) {
    const id = parseId(raw);
    const connection = id ? await trainlytics.connections.get(id) : null;
    if (!connection) throw new NotFoundError(`No connection with id ${raw}`);
    return connection;
  }

  return app;
}

function parseId(value: string | undefined): number | undefined {
  if (!value || !/^\d{1,9}$/.test(value)) return undefined;
  const id = Number(value);
  return id > 0 ? id : undefined;
}
