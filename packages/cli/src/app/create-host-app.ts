import {
  type Clock,
  type Connection,
  ConnectionLimitError,
  type Logger,
  NotFoundError,
  type SyncResult,
  silentLogger,
  type Trainlytics,
  TrainlyticsError,
} from '@trainlytics/core';
import type { Database } from '@trainlytics/migrations';
import { type Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { connectionJson } from '../commands/connections-command';
import { detailJson } from '../commands/detail-command';
import { syncJson } from '../commands/sync-command';
import { type ProviderNotice, providerNotices } from '../provider-notices';
import { KNOWN_PROVIDER_IDS, providerName } from '../providers-from-env';
import type { DeadSyncJob } from '../worker/sync-queue';
import { activityDetailPage } from './activity-page';
import {
  type HostApp,
  type HostAuthOptions,
  type HostEnv,
  type HostPrincipal,
  mayAccess,
  principalFor,
  principalOf,
  requireSignIn,
  scopedUserId,
} from './auth';
import { BACKFILL_WATCH_MS, backfillStatus } from './backfill-status';
import { connectFailureMessage } from './connect-failure';
import { DASHBOARD_SCRIPT, DASHBOARD_STYLES } from './dashboard-assets';
import { dashboardPage, messagePage, type ProviderPanel } from './dashboard-page';
import { csrfToken, requireCsrf, safeReturnTo, securityHeaders } from './security';
import { parseSportFamily, type SportFamily, sportFamily } from './sport-families';
import { progressText, SyncProgressBoard } from './sync-progress';
import { listMatchingWorkouts, listWorkouts, unlinkActivities, type Workout } from './timeline';
import { resolveUnits, UNITS_COOKIE } from './units-preference';
import { type AppUser, ensureUser, getUser, listUsers } from './users';
import { weeklyVolume, weekStartOf } from './weekly-volume';

export interface HostAppOptions extends HostAuthOptions {
  trainlytics: Trainlytics;
  /** The host app's own database access (the `users` table). */
  db: Database;
  /** The app's public origin, e.g. `http://127.0.0.1:3000`: OAuth redirect URIs are built from it, never from a request. */
  baseUrl: string;
  logger?: Logger;
  /** Called once a connection is made (e.g. to start its first sync in the background). Must not throw. */
  onConnected?: (connection: Connection) => void;
  /** Recent activities per dashboard page (default 25); older ones are a link away. */
  activitiesPerPage?: number;
  /** With scheduled sync (`serve`, `demo --serve`): its interval, so the dashboard shows each connection's next sync. */
  syncIntervalMs?: number;
  /** The dashboard's "now" (how recent a backfill request is); default the system clock. */
  clock?: Clock;
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
  /**
   * Where the syncs this process runs report their pages (`startHostServer` shares one with its first
   * sync after a connect); the dashboard shows a running sync's "page 3 · 412 activities so far".
   */
  syncProgress?: SyncProgressBoard;
  /**
   * Group the user's copies (`Store.dedupe` for that user) before the dashboard lists their workouts, when
   * the number of their stored activities changed since it last did. For a database where matching on write
   * is off (a policy that turned it off; ADR 0024) and histories are small, e.g. `trainlytics demo`; off by
   * default (since migration 017 pages are grouped as they are written).
   */
  dedupeOnView?: boolean;
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
  // an account linked to another user, or an impossible link of two activities (ADR 0043)
  ConflictError: 409,
  SyncInProgressError: 409,
  ReauthorizationRequiredError: 409,
  ConfigurationError: 400,
  // the app may connect nobody else at the provider (Strava's athlete cap)
  ConnectionLimitError: 409,
  // the provider refuses every call of the app (an Inactive Strava app): nothing the user can do
  AppSuspendedError: 503,
};

/**
 * The Trainlytics host app: the reference integration built only on the public API of core and the
 * plugins. Every page, API route and action runs behind `authenticate` (see `HostPrincipal`) and is
 * scoped to the signed-in user; an admin may pick any user with `?user=`. Routes:
 *
 * - `GET /dashboard[?user=ID]` — the connections dashboard; `GET /` redirects there.
 * - `GET|POST /connect/:provider` — starts a connection for the signed-in user (an admin names the user
 *   with `user`; optional `returnTo`); `GET /connect/:provider/callback` finishes it (public: bound by the
 *   single-use connect state, and to the signed-in user when there is one).
 * - `GET|POST /webhooks/:provider` — provider webhooks, handshakes included (public: Fetch `Request`
 *   straight to core, which checks the provider's own verification).
 * - `GET /api/users`, `GET /api/connections[?user=]`, `GET /api/connections/:id`, `GET /api/connections/:id/history`,
 *   `GET /api/activities[?user=&provider=&limit=]`, `GET /api/dead-jobs` — the JSON API.
 * - `GET /api/workouts[?user=&provider=&limit=&before=]` — one row per real workout (the copies several
 *   providers stored of it grouped, docs/decisions/0024 and 0035), with its `providers` and `activityIds`.
 * - `POST /api/activities/:id/link?other=ID`, `POST /api/activities/:id/unlink?other=ID` — a person's decision
 *   that two stored activities are (not) one workout, which the matcher never undoes; answers the group.
 * - `POST /api/connections/:id/sync` (`?full=1`), `POST /api/connections/:id/disconnect` — CSRF-protected actions.
 *   A sync answers 200 when it finished, 202 `{ status: 'deferred', retryAt }` when a provider's rate limit
 *   stopped it (see `syncMaxRateLimitWaitMs`), 502 when it failed.
 * - `GET /health`, `/assets/*`, `/favicon.ico` and the sign-in's own `publicRoutes` (e.g. `/login`) are public.
 */
export function createHostApp(options: HostAppOptions): Hono {
  const { trainlytics, db } = options;
  if (typeof options.authenticate !== 'function') {
    throw new TypeError(
      'createHostApp needs an authenticate(request) hook: your sign-in, adminTokenAuth({ token }), or loopbackDemoAuth() for a local demo',
    );
  }
  const authenticate = options.authenticate;
  const logger = options.logger ?? silentLogger;
  const now = () => options.clock?.now() ?? new Date();
  const base = new URL(options.baseUrl);
  const origin = base.origin;
  const secureCookie = base.protocol === 'https:';
  const redirectUri = (provider: string) => new URL(`/connect/${provider}/callback`, origin).toString();
  const app: HostApp = new Hono<HostEnv>();
  const progress = options.syncProgress ?? new SyncProgressBoard();
  /** With `dedupeOnView`: each user's stored activity count when their copies were last grouped. */
  const groupedAt = new Map<number, number>();
  async function regroup(userId: number) {
    const store = trainlytics.store;
    if (!options.dedupeOnView || !store.dedupe) return;
    const count = await store.countActivities({ userId });
    if (groupedAt.get(userId) === count) return;
    await store.dedupe({ userId });
    groupedAt.set(userId, count);
  }

  // Webhooks first: providers post from their servers, with their own verification (no CSRF, no cookies).
  app.all('/webhooks/:provider', async (c) => {
    const provider = c.req.param('provider');
    if (!trainlytics.providerIds.includes(provider)) {
      return c.json({ error: 'NotFound', message: `No webhook endpoint for provider "${provider}"` }, 404);
    }
    return trainlytics.webhooks.handle(provider, c.req.raw);
  });

  app.use('*', securityHeaders());

  // Public routes: static assets, the health check, the OAuth callback and the sign-in's own routes.
  app.get('/assets/dashboard.js', (c) =>
    c.body(DASHBOARD_SCRIPT, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/assets/dashboard.css', (c) =>
    c.body(DASHBOARD_STYLES, 200, { 'content-type': 'text/css; charset=utf-8' }),
  );
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/health', (c) => c.json({ ok: true }));
  app.get('/connect/:provider/callback', async (c) => {
    const provider = c.req.param('provider');
    const params = new URL(c.req.url).searchParams;
    if (!trainlytics.providerIds.includes(provider)) {
      return c.html(messagePage('Cannot connect', `Unknown provider "${provider}"`, '/dashboard'), 404);
    }
    try {
      // A signed-in user can only finish a connection they started (core checks the state's user).
      const principal = await principalFor(authenticate, c.req.raw);
      const userId = principal && !principal.admin ? principal.userId : undefined;
      const connection = await trainlytics.connect.finish(provider, {
        callbackParams: params,
        ...(userId === undefined ? {} : { userId }),
      });
      logger.info('connected', { provider, connectionId: connection.id, userId: connection.userId });
      options.onConnected?.(connection);
      const back = safeReturnTo(connection.returnTo, origin) ?? `/dashboard?user=${connection.userId}`;
      return c.redirect(back, 303);
    } catch (error) {
      if (!TrainlyticsError.isInstance(error)) throw error;
      // a signed-in user can start again at once; an admin picks the user on the dashboard first
      const principal = await principalFor(authenticate, c.req.raw).catch(() => null);
      const back = principal && !principal.admin ? `/dashboard?user=${principal.userId}` : '/dashboard';
      return c.html(
        messagePage(
          `${providerName(provider)} was not connected`,
          connectFailureMessage(providerName(provider), error),
          back,
          {
            detail: error.userMessage,
            ...(principal && !principal.admin ? { retryHref: `/connect/${provider}` } : {}),
          },
        ),
        ERROR_STATUS[error.name] ?? 400,
      );
    }
  });
  options.publicRoutes?.(app, { origin, secureCookie });

  // Everything below needs a sign-in (a route added here is protected by default) and is scoped to it.
  app.use('*', requireSignIn({ authenticate, loginUrl: options.loginUrl, page: signInPage }));
  app.use('/api/*', requireCsrf(origin));
  app.use('/connect/*', requireCsrf(origin));
  app.use('/users', requireCsrf(origin));

  app.get('/api/dead-jobs', async (c) => {
    const scope = scopedUserId(principalOf(c), userParam(c.req.query('user')));
    return c.json({
      queue: Boolean(options.deadJobs),
      deadJobs: options.deadJobs ? await visibleDeadJobs(scope) : [],
    });
  });
  app.get('/', (c) => c.redirect('/dashboard'));

  app.get('/dashboard', async (c) => {
    const principal = principalOf(c);
    const requested = userParam(c.req.query('user'));
    let users: AppUser[];
    let user: AppUser | null;
    let notice: string | null = null;
    if (principal.admin) {
      users = await listUsers(db);
      user = requested
        ? (users.find((u) => u.id === requested) ?? (await getUser(db, requested)))
        : (users[0] ?? null);
      if (requested !== undefined && !user) notice = `No user with id ${requested ?? c.req.query('user')}`;
    } else {
      scopedUserId(principal, requested);
      user = await getUser(db, principal.userId);
      users = user ? [user] : [];
      if (!user) notice = `Your user (id ${principal.userId}) is not in the users table`;
    }
    const token = csrfToken(c, secureCookie);
    // km or mi: the page's control (kept in a cookie), else an earlier choice, else the browser's region
    const { units, chosen } = resolveUnits({
      query: c.req.query('units'),
      cookie: getCookie(c, UNITS_COOKIE),
      acceptLanguage: c.req.header('accept-language'),
    });
    if (chosen) {
      setCookie(c, UNITS_COOKIE, units, {
        path: '/',
        maxAge: 365 * 86_400,
        sameSite: 'Lax',
        httpOnly: true,
        secure: secureCookie,
      });
    }
    if (user) await regroup(user.id);
    const model = {
      units,
      users,
      user,
      providers: user ? await providerPanels(user) : [],
      ...(user
        ? await activityPage(user, {
            provider: c.req.query('provider'),
            sport: parseSportFamily(c.req.query('sport')),
            before: c.req.query('before'),
          })
        : { activities: [] }),
      ...(user ? { weekly: await weeks(user) } : {}),
      csrfToken: token,
      notice,
      providerNotices: await dashboardNotices(principal.admin === true),
      syncAfterConnect: Boolean(options.onConnected),
      deadJobs: options.deadJobs ? await visibleDeadJobs(principal.admin ? 'all' : principal.userId) : null,
      admin: principal.admin === true,
      signOut: Boolean(options.loginUrl),
    };
    c.header('cache-control', 'no-store');
    return c.html(dashboardPage(model));
  });

  app.post('/users', async (c) => {
    if (!principalOf(c).admin) {
      return c.html(messagePage('Not allowed', 'Only an admin can create users.', '/dashboard'), 403);
    }
    const body = await c.req.parseBody();
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (!/^[^@\s]+@[^@\s]+$/.test(email))
      return c.html(messagePage('Invalid email', 'Enter an email address.', '/dashboard'), 400);
    const user = await ensureUser(db, { email });
    return c.redirect(`/dashboard?user=${user.id}`, 303);
  });

  const startConnect = async (
    c: Context<HostEnv>,
    input: { provider: string; user: unknown; returnTo: unknown },
  ) => {
    const provider = input.provider;
    // A user connects their own account; only an admin names the user (never an unauthenticated caller).
    const scope = scopedUserId(
      principalOf(c),
      userParam(typeof input.user === 'string' ? input.user : undefined),
    );
    const userId = scope === 'all' ? undefined : scope;
    if (!trainlytics.providerIds.includes(provider)) {
      const message = KNOWN_PROVIDER_IDS.includes(provider)
        ? `${providerName(provider)} is not configured on this server`
        : `Unknown provider "${provider}"`;
      // the way back keeps the user the page was about
      return c.html(
        messagePage('Cannot connect', message, userId ? `/dashboard?user=${userId}` : '/dashboard'),
        404,
      );
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
    let url: string;
    try {
      ({ url } = await trainlytics.connect.start(provider, {
        userId,
        redirectUri: redirectUri(provider),
        returnTo,
      }));
    } catch (error) {
      // the athlete cap: say so here, before the user meets the provider's own 403 page
      if (!ConnectionLimitError.isInstance(error)) throw error;
      return c.html(
        messagePage(
          `${providerName(provider)} was not connected`,
          error.userMessage,
          `/dashboard?user=${userId}`,
        ),
        409,
      );
    }
    return c.redirect(url, c.req.method === 'POST' ? 303 : 302);
  };

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

  app.get('/api/users', async (c) => {
    const scope = scopedUserId(principalOf(c), userParam(c.req.query('user')));
    if (scope === 'all') return c.json(await listUsers(db));
    const user = await getUser(db, scope);
    return c.json(user ? [user] : []);
  });
  app.get('/api/connections', async (c) => {
    const scope = scopedUserId(principalOf(c), userParam(c.req.query('user')));
    const list = await trainlytics.connections.list(scope === 'all' ? {} : { userId: scope });
    return c.json(list.map(connectionApiJson));
  });
  app.get('/api/connections/:id', async (c) =>
    c.json(connectionApiJson(await getConnection(principalOf(c), c.req.param('id')))),
  );
  app.get('/api/connections/:id/history', async (c) => {
    const connection = await getConnection(principalOf(c), c.req.param('id'));
    const limit = Math.min(parseId(c.req.query('limit')) ?? 20, 200);
    return c.json(await trainlytics.history.list({ connectionId: connection.id, limit }));
  });
  app.get('/api/activities', async (c) => {
    const scope = scopedUserId(principalOf(c), userParam(c.req.query('user')));
    const provider = c.req.query('provider');
    const limit = Math.min(parseId(c.req.query('limit')) ?? 50, 500);
    const before = c.req.query('before');
    return c.json(
      await trainlytics.activities.list({
        ...(scope === 'all' ? {} : { userId: scope }),
        ...(provider ? { provider } : {}),
        ...(before && !Number.isNaN(Date.parse(before)) ? { before: new Date(before) } : {}),
        limit,
      }),
    );
  });
  app.get('/api/workouts', async (c) => {
    const scope = scopedUserId(principalOf(c), userParam(c.req.query('user')));
    const userId = scope === 'all' ? undefined : scope;
    const provider = c.req.query('provider');
    const limit = Math.min(parseId(c.req.query('limit')) ?? 50, 500);
    const raw = c.req.query('before');
    const before = raw && !Number.isNaN(Date.parse(raw)) ? new Date(raw) : null;
    const rows = provider
      ? await listMatchingWorkouts(
          trainlytics.store,
          userId,
          (w) => w.providers.includes(provider),
          before,
          limit,
        )
      : await listWorkouts(trainlytics.store, {
          ...(userId === undefined ? {} : { userId }),
          limit,
          ...(before ? { before } : {}),
        });
    return c.json(rows.slice(0, limit));
  });
  /** A person's link or unlink of two activities the principal may both see. */
  const decide = (decision: 'link' | 'unlink') => async (c: Context<HostEnv>) => {
    const principal = principalOf(c);
    const activity = await visibleActivity(principal, c.req.param('id') ?? '');
    const other = await visibleActivity(principal, c.req.query('other') ?? '');
    const decideMatch = trainlytics.store.decideMatch?.bind(trainlytics.store);
    if (!decideMatch) {
      return c.json(
        { error: 'NotSupported', message: 'This store does not group activities (migration 014)' },
        501,
      );
    }
    const group =
      decision === 'link'
        ? await decideMatch(activity.id, other.id, 'link')
        : await unlinkActivities(decideMatch, activity.id, other.id);
    logger.info('match decided', { decision, activityId: activity.id, otherActivityId: other.id });
    return c.json(group);
  };
  app.post('/api/activities/:id/link', decide('link'));
  app.post('/api/activities/:id/unlink', decide('unlink'));
  /** An activity the principal may see (404 otherwise, so ids of others are not revealed). */
  async function visibleActivity(principal: HostPrincipal, rawId: string) {
    const id = parseId(rawId);
    const activity = id ? await trainlytics.store.getActivity?.(id) : null;
    if (!activity || !mayAccess(principal, activity.userId))
      throw new NotFoundError(`No activity with id ${rawId}`);
    return activity;
  }
  app.get('/api/activities/:id/detail', async (c) => {
    const activity = await visibleActivity(principalOf(c), c.req.param('id'));
    const refresh = c.req.query('refresh') === '1' || c.req.query('refresh') === 'true';
    return c.json(detailJson(await trainlytics.activities.detail(activity.id, { refresh })));
  });
  app.get('/dashboard/activities/:id', async (c) => {
    const activity = await visibleActivity(principalOf(c), c.req.param('id'));
    const detail = await trainlytics.activities.detail(activity.id);
    c.header('cache-control', 'no-store');
    return c.html(activityDetailPage({ detail, backHref: `/dashboard?user=${activity.userId}` }));
  });
  app.post('/api/connections/:id/sync', async (c) => {
    const connection = await getConnection(principalOf(c), c.req.param('id'));
    const full = c.req.query('full') === '1' || c.req.query('full') === 'true';
    const tracked = progress.track(connection.id);
    let result: SyncResult;
    try {
      result = await trainlytics.sync(connection.id, {
        full,
        ifLocked: 'skip',
        maxRateLimitWaitMs: options.syncMaxRateLimitWaitMs ?? 2_000,
        onProgress: tracked.onProgress,
      });
    } finally {
      tracked.done();
    }
    if (result.status === 'deferred' && result.retryAt) {
      options.onSyncDeferred?.({ connectionId: connection.id, retryAt: result.retryAt, full });
    }
    const status = result.status === 'success' ? 200 : result.status === 'deferred' ? 202 : 502;
    return c.json(syncJson(result), status);
  });
  app.post('/api/connections/:id/disconnect', async (c) => {
    const connection = await getConnection(principalOf(c), c.req.param('id'));
    const disconnected = await trainlytics.disconnect(connection.id, { revoke: true });
    return c.json(connectionApiJson(disconnected));
  });

  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: 'NotFound', message: `No route ${c.req.method} ${c.req.path}` }, 404)
      : c.html(messagePage('Not found', `Nothing at ${c.req.path}`, dashboardHref(c)), 404),
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
      : c.html(messagePage('Error', body.message, dashboardHref(c)), status);
  });

  /** Provider-wide notices: an app suspended at its provider for everyone; the athlete cap for an admin. */
  async function dashboardNotices(admin: boolean): Promise<ProviderNotice[]> {
    const limits: Record<string, { name: string; maxConnections?: number }> = {};
    for (const id of trainlytics.providerIds) {
      let maxConnections: number | undefined;
      try {
        maxConnections = trainlytics.getProvider(id).maxConnections;
      } catch (error) {
        logger.warn('could not read the provider connection limit', {
          provider: id,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      limits[id] = {
        name: providerName(id),
        ...(admin && maxConnections !== undefined ? { maxConnections } : {}),
      };
    }
    return providerNotices(trainlytics, limits);
  }

  async function providerPanels(user: AppUser): Promise<ProviderPanel[]> {
    const connections = await trainlytics.connections.list({ userId: user.id });
    const history = await trainlytics.history.list({ userId: user.id, limit: 60 });
    return Promise.all(
      KNOWN_PROVIDER_IDS.map(async (id) => {
        const connection = connections.find((c) => c.provider === id) ?? null;
        const configured = trainlytics.providerIds.includes(id);
        // a history delivered later by webhook (Garmin): say what was requested and what arrived so far
        const asyncBackfill =
          connection !== null && configured && trainlytics.getProvider(id).capabilities.backfill === 'async';
        const backfill = asyncBackfill
          ? backfillStatus(await trainlytics.history.list({ connectionId: connection.id, limit: 200 }))
          : null;
        const running = connection
          ? history.find((h) => h.connectionId === connection.id && h.status === 'running')
          : undefined;
        return {
          id,
          name: providerName(id),
          ...(connection && running
            ? { progress: progressText(running, progress.get(connection.id, running.id)) }
            : {}),
          configured,
          configureHint: `set ${id.toUpperCase()}_CLIENT_ID and ${id.toUpperCase()}_CLIENT_SECRET`,
          connection,
          history: connection ? history.filter((h) => h.connectionId === connection.id).slice(0, 10) : [],
          backfill,
          ...(options.syncIntervalMs && connection?.status === 'active' && connection.lastSyncAt
            ? { nextSyncAt: new Date(connection.lastSyncAt.getTime() + options.syncIntervalMs) }
            : {}),
          ...(connection
            ? { activityCount: await trainlytics.store.countActivities({ connectionId: connection.id }) }
            : {}),
          backfillPending:
            backfill !== null && now().getTime() - backfill.requestedAt.getTime() < BACKFILL_WATCH_MS,
          ...(connection && configured && connection.status === 'active'
            ? { streamsPlan: await trainlytics.streams.plan(connection.id) }
            : {}),
        };
      }),
    );
  }

  /** The user's training time over the last 8 weeks (at most their 1,000 newest activities). */
  async function weeks(user: AppUser) {
    const cutoff = weekStartOf(new Date(now().getTime() - 7 * 7 * 86_400_000));
    // each workout once, however many providers stored it
    const recent = await listWorkouts(trainlytics.store, { userId: user.id, limit: 1000 });
    return weeklyVolume(
      recent.filter((a) => a.startDate >= cutoff),
      now(),
    );
  }

  /**
   * One page of the user's workouts (one row per real workout, whichever providers stored it), newest
   * first, optionally of one provider (a workout any of whose copies came from it) and one sport family,
   * before an instant.
   */
  async function activityPage(
    user: AppUser,
    filter: { provider: string | undefined; sport: SportFamily | null; before: string | undefined },
  ) {
    const perPage = options.activitiesPerPage ?? 25;
    const only = filter.provider && KNOWN_PROVIDER_IDS.includes(filter.provider) ? filter.provider : null;
    const until = filter.before && !Number.isNaN(Date.parse(filter.before)) ? new Date(filter.before) : null;
    const keep = (w: Workout) =>
      (!only || w.providers.includes(only)) && (!filter.sport || sportFamily(w.sportType) === filter.sport);
    const list = (limit: number) =>
      only || filter.sport
        ? listMatchingWorkouts(trainlytics.store, user.id, keep, until, limit)
        : listWorkouts(trainlytics.store, { userId: user.id, limit, ...(until ? { before: until } : {}) });
    // The next page starts strictly before this page's last start: workouts sharing that start instant
    // all stay on this page (it grows past perPage), so none falls between two pages.
    const sameStart = (a: Workout, b: Workout) => a.startDate.getTime() === b.startDate.getTime();
    let limit = perPage + 1;
    let rows = await list(limit);
    let size = Math.min(perPage, rows.length);
    for (;;) {
      while (size > 0 && size < rows.length && sameStart(rows[size]!, rows[size - 1]!)) size++;
      if (size < rows.length || rows.length < limit) break;
      limit *= 2;
      rows = await list(limit);
    }
    const activities = rows.slice(0, size);
    const last = activities.at(-1);
    return {
      activities,
      activityFilter: {
        provider: only,
        sport: filter.sport,
        paged: until !== null,
        before: until ? until.toISOString() : null,
        older: rows.length > size && last ? last.startDate.toISOString() : null,
      },
    };
  }

  /** The JSON API's connection: a connection that needs the user names the action that fixes it. */
  function connectionApiJson(connection: Connection) {
    return {
      ...connectionJson(connection),
      reconnectUrl:
        connection.status === 'active' ? null : `/connect/${connection.provider}?user=${connection.userId}`,
    };
  }

  /** The connection, when the principal may see it; another user's answers exactly as a missing one. */
  async function getConnection(principal: HostPrincipal, raw: string) {
    const id = parseId(raw);
    const connection = id ? await trainlytics.connections.get(id) : null;
    if (!connection || !mayAccess(principal, connection.userId)) {
      throw new NotFoundError(`No connection with id ${raw}`);
    }
    return connection;
  }

  async function visibleDeadJobs(scope: number | 'all'): Promise<DeadSyncJob[]> {
    const jobs = options.deadJobs ? await options.deadJobs() : [];
    if (scope === 'all') return jobs;
    const own = new Set((await trainlytics.connections.list({ userId: scope })).map((c) => c.id));
    return jobs.filter((job) => own.has(job.connectionId));
  }

  return app as unknown as Hono;
}

/** A `?user=` (or form) value: undefined when absent, null when present but not an id. */
function userParam(value: string | undefined): number | null | undefined {
  if (value === undefined || value === '') return undefined;
  return parseId(value) ?? null;
}

/** The way back to the dashboard from an error page, keeping the `?user=` the request named. */
function dashboardHref(c: Context<HostEnv>): string {
  const user = parseId(c.req.query('user'));
  return user ? `/dashboard?user=${user}` : '/dashboard';
}

function signInPage(title: string, message: string) {
  return messagePage(title, message, '/dashboard');
}

function parseId(value: string | undefined): number | undefined {
  if (!value || !/^\d{1,9}$/.test(value)) return undefined;
  const id = Number(value);
  return id > 0 ? id : undefined;
}
