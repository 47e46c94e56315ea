import type { Connection, SyncRecord } from '@trainlytics/core';
import { html } from 'hono/html';
import {
  type DistanceUnits,
  describeStreamsPlan,
  exactDuration,
  formatDistance,
  formatDuration,
  formatElevation,
} from '../format';
import type { ProviderNotice } from '../provider-notices';
import { providerName } from '../providers-from-env';
import type { DeadSyncJob } from '../worker/sync-queue';
import type { BackfillStatus } from './backfill-status';
import { instantHtml } from './dashboard-time';
import { providerHtml } from './provider-marks';
import { SPORT_FAMILIES, type SportFamily, sportHtml, sportIconSprite } from './sport-families';
import type { Workout } from './timeline';
import { type AppUser, displayName } from './users';
import { type WeekVolume, weeklyChart } from './weekly-volume';

export interface ProviderPanel {
  id: string;
  name: string;
  /** Credentials are set: the provider can be connected. */
  configured: boolean;
  /** How to configure it, when not. */
  configureHint: string;
  connection: Connection | null;
  history: SyncRecord[];
  /** A history the provider delivers later by webhook (Garmin): what was requested and what arrived. */
  backfill?: BackfillStatus | null;
  /** When the scheduler syncs it next (with scheduled sync, for an active connection synced before). */
  nextSyncAt?: Date;
  /** Activities stored for the connection (every page of them, not only the recent ones shown). */
  activityCount?: number;
  /** The backfill was requested recently: its activities may still be arriving (the page keeps updating). */
  backfillPending?: boolean;
  /** While a sync runs: how far it got (`page 3 · 412 activities so far`, see `progressText`). */
  progress?: string;
  /** The activity detail (streams) still to fetch and how long it takes under the rate budget (ADR 0032). */
  streamsPlan?: { remaining: number; estimatedMs: number | null } | null;
}

export interface DashboardModel {
  users: AppUser[];
  user: AppUser | null;
  providers: ProviderPanel[];
  /** One row per real workout (its copies from several providers grouped), newest first. */
  activities: Workout[];
  /** Training time per week (the chart above the activities), oldest first. */
  weekly?: WeekVolume[];
  /**
   * The activity list's filter and paging: one provider, one sport family, the start of the current page
   * (`before`, null on the first) and of the next (older) one.
   */
  activityFilter?: {
    provider: string | null;
    sport?: SportFamily | null;
    paged: boolean;
    before?: string | null;
    older: string | null;
  };
  /** The viewer's units (km or mi; swims always in metres): the page's control, kept in a cookie. */
  units?: DistanceUnits;
  csrfToken: string;
  /** A one-line notice (e.g. an unknown `?user=`). */
  notice: string | null;
  /** Provider-wide conditions (an app Strava made Inactive, an athlete cap reached), each shown once. */
  providerNotices?: ProviderNotice[];
  /** New connections get a first sync in the background: the page refreshes until it has run. */
  syncAfterConnect: boolean;
  /** With the job queue: sync jobs that failed every attempt (null without a queue). */
  deadJobs?: DeadSyncJob[] | null;
  /** The viewer is an admin: may switch between users and create them. A user sees only their own page. */
  admin?: boolean;
  /** The viewer signed in with a session that `POST /logout` ends: show a "Sign out" button. */
  signOut?: boolean;
}

const STATUS_LABELS: Record<Connection['status'] | 'never', string> = {
  active: 'connected',
  reauth_required: 'needs re-authorization',
  inactive: 'disconnected',
  never: 'never connected',
};

/** The connections dashboard: every value goes through `html`, which escapes it. */
export function dashboardPage(model: DashboardModel) {
  return layout(
    'Trainlytics — connections',
    model.csrfToken,
    html`
      <header>
        <h1>Trainlytics</h1>
        ${model.admin === false ? '' : userSelector(model)}
        ${model.user ? unitsForm(model, model.user) : ''}
        ${model.signOut ? signOutForm(model.csrfToken) : ''}
      </header>
      <main id="main" tabindex="-1">
      ${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
      ${(model.providerNotices ?? []).map(
        (n) =>
          html`<p class="notice provider-notice" role="alert" data-testid="provider-notice-${n.kind}">${n.message}</p>`,
      )}
      ${model.user ? userSection(model, model.user) : model.admin === false ? '' : createUserForm(model.csrfToken)}
      ${model.deadJobs ? deadJobsSection(model.deadJobs) : ''}
      </main>
      <footer>
        ${
          model.admin === false
            ? 'Trainlytics host app: you see your own connections only.'
            : html`Trainlytics host app, signed in as admin: <code>?user=</code> picks the user to look at.`
        }
      </footer>
    `,
  );
}

function deadJobsSection(jobs: DeadSyncJob[]) {
  return html`<section data-testid="dead-jobs" data-live="dead-jobs">
    <h2>Failed sync jobs</h2>
    ${
      jobs.length === 0
        ? html`<p class="hint">None: every queued sync succeeded or is still being retried.</p>`
        : html`<table class="history stack">
            <thead>
              <tr><th>Job</th><th>Connection</th><th>Type</th><th>Attempts</th><th>Failed at</th><th>Error</th></tr>
            </thead>
            <tbody>
              ${jobs.map(
                (j) => html`<tr>
                  <td data-label="Job">${j.jobId}</td>
                  <td data-label="Connection" class="number">${j.connectionId}</td>
                  <td data-label="Type">${j.full ? 'full' : 'incremental'}</td>
                  <td data-label="Attempts" class="number">${j.attempts}</td>
                  <td data-label="Failed at">${instantHtml(j.failedAt)}</td>
                  <td data-label="Error" class="error-message">${j.errorMessage ?? ''}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

function userSelector(model: DashboardModel) {
  if (model.users.length === 0) return '';
  return html`<form method="get" action="/dashboard" class="user-selector">
    <label
      >User
      <select name="user" data-testid="user-select">
        ${model.users.map(
          (u) =>
            html`<option value="${u.id}" ${u.id === model.user?.id ? 'selected' : ''}>${displayName(u)}</option>`,
        )}
      </select></label
    >
    <button type="submit">Switch</button>
  </form>`;
}

/** The units control: km or mi, kept (with the page's filters) by a GET to the same page. */
function unitsForm(model: DashboardModel, user: AppUser) {
  const units = model.units ?? 'km';
  const filter = model.activityFilter;
  return html`<form method="get" action="/dashboard" class="units" data-testid="units-form">
    <input type="hidden" name="user" value="${user.id}" />
    ${filter?.provider ? html`<input type="hidden" name="provider" value="${filter.provider}" />` : ''}
    ${filter?.sport ? html`<input type="hidden" name="sport" value="${filter.sport}" />` : ''}
    ${filter?.before ? html`<input type="hidden" name="before" value="${filter.before}" />` : ''}
    <label
      >Distances in
      <select name="units" data-testid="units-select">
        <option value="km" ${units === 'km' ? 'selected' : ''}>kilometres (km, m)</option>
        <option value="mi" ${units === 'mi' ? 'selected' : ''}>miles (mi, ft)</option>
      </select></label
    >
    <button type="submit" data-testid="units-apply">Apply</button>
  </form>`;
}

function signOutForm(csrfToken: string) {
  return html`<form method="post" action="/logout" class="sign-out">
    <input type="hidden" name="csrf" value="${csrfToken}" />
    <button type="submit" data-testid="sign-out">Sign out</button>
  </form>`;
}

function createUserForm(csrfToken: string) {
  return html`<section>
    <h2>No user yet</h2>
    <form method="post" action="/users">
      <input type="hidden" name="csrf" value="${csrfToken}" />
      <label>Email <input type="email" name="email" required /></label>
      <button type="submit">Create user</button>
    </form>
  </section>`;
}

function userSection(model: DashboardModel, user: AppUser) {
  return html`<section>
      <h2>Connections of ${displayName(user)}</h2>
      <div class="providers">
        ${model.providers.map((p) => providerCard(p, user, model.csrfToken, model.syncAfterConnect))}
      </div>
    </section>
    <section aria-labelledby="activities-heading">
      <h2 id="activities-heading">Recent activities</h2>
      ${model.weekly ? html`<div data-live="weekly">${weeklyChart(model.weekly, model.units ?? 'km')}</div>` : ''}
      ${activityFilterForm(model, user)}
      <div class="card-notice" data-notice="activities" data-testid="notice-activities"></div>
      <div data-live="activities">${activitiesTable(
        model.activities,
        disconnectedIds(model.providers),
        model.units ?? 'km',
        Boolean(model.activityFilter?.provider || model.activityFilter?.sport),
      )}
      ${activityPaging(model, user)}</div>
    </section>`;
}

function providerCard(panel: ProviderPanel, user: AppUser, csrfToken: string, syncAfterConnect: boolean) {
  const connection = panel.connection;
  const status = connection ? connection.status : 'never';
  const awaitingFirstSync =
    syncAfterConnect && status === 'active' && !connection?.lastSyncAt && panel.history.length === 0;
  const running = panel.history.some((h) => h.status === 'running');
  // while something is on its way the page updates itself in place (see DASHBOARD_SCRIPT)
  const pending = awaitingFirstSync || running || (status === 'active' && panel.backfillPending === true);
  const connectLabel = status === 'never' ? 'Connect' : 'Reconnect';
  const connectForm = panel.configured
    ? html`<form method="post" action="/connect/${panel.id}">
        <input type="hidden" name="csrf" value="${csrfToken}" />
        <input type="hidden" name="user" value="${user.id}" />
        <button type="submit" data-testid="connect-${panel.id}">${connectLabel} ${panel.name}</button>
      </form>`
    : html`<p class="hint">Not configured: ${panel.configureHint}</p>`;
  const awaiting = awaitingFirstSync ? html` data-awaiting-first-sync="true"` : '';
  const pendingAttr = pending ? html` data-pending="true"` : '';
  return html`<article class="provider" data-provider="${panel.id}" data-status="${status}"${awaiting}${pendingAttr} aria-labelledby="card-${panel.id}">
    <h3 id="card-${panel.id}" tabindex="-1">${providerHtml(panel.id, panel.name)} <span data-live="status-${panel.id}"><span class="status status-${status}" data-testid="status-${panel.id}">${STATUS_LABELS[status]}</span></span></h3>
    <div data-live="summary-${panel.id}">
    ${
      connection
        ? html`<p class="account">
            Account ${connection.providerUserId}
            ${profileName(connection) ? html`(${profileName(connection)})` : ''}
            ${
              panel.activityCount === undefined
                ? ''
                : html`· <span data-testid="count-${panel.id}">${panel.activityCount}</span>
                    ${panel.activityCount === 1 ? 'activity' : 'activities'}`
            }
            · last sync
            <span data-testid="last-sync-${panel.id}">${instantHtml(connection.lastSyncAt, { relative: true })}</span>
            ${
              panel.nextSyncAt
                ? html`· next sync
                    <span data-testid="next-sync-${panel.id}">${instantHtml(panel.nextSyncAt, { relative: true })}</span>`
                : ''
            }
          </p>
          ${
            status === 'reauth_required'
              ? html`<p class="error" data-testid="reauth-${panel.id}">
                  ${panel.name} needs you to connect again: ${connection.lastError ?? 'access was refused'}. Use
                  “Reconnect ${panel.name}” to resume syncing.
                </p>`
              : connection.lastError
                ? html`<div class="error" data-testid="last-error-${panel.id}">
                    <p>
                      The last sync with ${panel.name} did not finish.${
                        status === 'active' ? ' The next one tries again; “Sync now” tries at once.' : ''
                      }
                    </p>
                    <details>
                      <summary>Technical detail</summary>
                      <p>${connection.lastError}</p>
                    </details>
                  </div>`
                : ''
          }`
        : ''
    }
    ${panel.backfill && status !== 'never' ? backfillLine(panel, panel.backfill, status === 'active') : ''}
    ${panel.streamsPlan && status === 'active' && (panel.activityCount ?? 0) > 0 ? streamsLine(panel, panel.streamsPlan) : ''}
    </div>
    <p class="state" role="status" data-live-text="state-${panel.id}" data-testid="state-${panel.id}">${stateText(
      { running, awaitingFirstSync, first: running && !connection?.lastSyncAt, progress: panel.progress },
    )}</p>
    <div class="actions" data-live="actions-${panel.id}">
      ${status === 'active' ? '' : connectForm}
      ${
        connection && status === 'active'
          ? html`<button type="button" data-action="sync" data-url="/api/connections/${connection.id}/sync" data-testid="sync-${panel.id}">Sync now</button>
              <button type="button" data-action="sync" data-url="/api/connections/${connection.id}/sync?full=1" data-testid="full-sync-${panel.id}"
                data-confirm="Re-sync the whole ${panel.name} history? Every activity is read again (new ones added, changed ones updated, nothing duplicated); it can take a while.">Full re-sync</button>`
          : ''
      }
      ${
        connection && status !== 'inactive'
          ? html`<button type="button" data-action="disconnect" data-url="/api/connections/${connection.id}/disconnect" data-testid="disconnect-${panel.id}"
              data-confirm="Disconnect ${panel.name}? Syncing stops and Trainlytics gives up its access to your ${panel.name} account. The activities already synced stay here, marked as disconnected; you can reconnect later.">Disconnect</button>`
          : ''
      }
    </div>
    <div class="card-notice" data-notice="${panel.id}" data-testid="notice-${panel.id}"></div>
    <div data-live="history-${panel.id}">${panel.history.length > 0 ? historyTable(panel.history) : ''}</div>
  </article>`;
}

function stateText(state: {
  running: boolean;
  awaitingFirstSync: boolean;
  first: boolean;
  progress: string | undefined;
}): string {
  if (state.running) {
    const what = state.first ? 'First sync' : 'Syncing';
    return state.progress ? `${what}: ${state.progress}…` : `${what}…`;
  }
  if (state.awaitingFirstSync) return 'First sync starting…';
  return '';
}

/** The activity detail (routes, heart rate, pace…) still to fetch in the background, and for how long. */
function streamsLine(panel: ProviderPanel, plan: { remaining: number; estimatedMs: number | null }) {
  return html`<p class="streams-backlog" data-testid="streams-backlog-${panel.id}">
    ${
      plan.remaining === 0
        ? 'Activity detail (route, heart rate, pace): all fetched.'
        : `Activity detail (route, heart rate, pace) still to fetch: ${describeStreamsPlan(plan)}${plan.estimatedMs === null ? '' : ' at the current rate limit'}.`
    }
  </p>`;
}

/** What an asynchronous backfill (Garmin) is doing: requested windows, activities arrived so far. */
function backfillLine(panel: ProviderPanel, b: BackfillStatus, active: boolean) {
  const windows = `${b.windows} ${b.windows === 1 ? 'window' : 'windows'}`;
  return html`<p class="backfill" data-testid="backfill-${panel.id}">
    History requested for ${windows} (${b.days} days) at ${instantHtml(b.requestedAt)};
    <span data-testid="backfill-arrived-${panel.id}">${b.arrived}</span>
    ${b.arrived === 1 ? 'activity' : 'activities'} arrived${
      b.remainingWindows > 0
        ? html`; ${b.remainingWindows} more to request (the next full sync resumes)`
        : panel.backfillPending && active
          ? html`. ${panel.name} sends it in the background: this page updates as it arrives.`
          : '.'
    }
  </p>`;
}

function profileName(connection: Connection): string {
  return [connection.profile.firstName, connection.profile.lastName].filter(Boolean).join(' ');
}

function historyTable(history: SyncRecord[]) {
  return html`<table class="history stack">
    <caption>Sync history</caption>
    <thead>
      <tr><th>Started</th><th>Duration</th><th>Type</th><th>Status</th><th>Created</th><th>Updated</th><th>Error</th></tr>
    </thead>
    <tbody>
      ${history.map(
        (h) => html`<tr data-status="${h.status}">
          <td data-label="Started">${instantHtml(h.startedAt)}</td>
          <td data-label="Duration">${h.completedAt ? durationHtml((h.completedAt.getTime() - h.startedAt.getTime()) / 1000) : '…'}</td>
          <td data-label="Type">${h.syncType}</td>
          <td data-label="Status">${h.status}</td>
          <td data-label="Created" class="number">${h.activitiesCreated}</td>
          <td data-label="Updated" class="number">${h.activitiesUpdated}</td>
          <td data-label="Error" class="error-message">${h.errorMessage ?? ''}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function activityFilterForm(model: DashboardModel, user: AppUser) {
  const selected = model.activityFilter?.provider ?? '';
  const sport = model.activityFilter?.sport ?? '';
  return html`<form method="get" action="/dashboard" class="filter" data-testid="activity-filter">
    <input type="hidden" name="user" value="${user.id}" />
    <label
      >Provider
      <select name="provider" data-testid="provider-filter">
        <option value="" ${selected === '' ? 'selected' : ''}>All</option>
        ${model.providers.map(
          (p) => html`<option value="${p.id}" ${selected === p.id ? 'selected' : ''}>${p.name}</option>`,
        )}
      </select></label
    >
    <label
      >Sport
      <select name="sport" data-testid="sport-filter">
        <option value="" ${sport === '' ? 'selected' : ''}>All</option>
        ${SPORT_FAMILIES.map((f) => html`<option value="${f.id}" ${sport === f.id ? 'selected' : ''}>${f.label}</option>`)}
      </select></label
    >
    <button type="submit">Show</button>
  </form>`;
}

/** "Older activities" (keyset paging on the start instant) and, past the first page, "Newest". */
function activityPaging(model: DashboardModel, user: AppUser) {
  const filter = model.activityFilter;
  if (!filter || (!filter.older && !filter.paged)) return '';
  const base = `/dashboard?user=${user.id}${filter.provider ? `&provider=${filter.provider}` : ''}${
    filter.sport ? `&sport=${filter.sport}` : ''
  }`;
  return html`<nav class="paging" aria-label="Activity pages">
    ${filter.paged ? html`<a href="${base}" data-testid="newest-activities">Newest</a>` : ''}
    ${
      filter.older
        ? html`<a href="${base}&before=${encodeURIComponent(filter.older)}" data-testid="older-activities"
            >Older activities</a
          >`
        : ''
    }
  </nav>`;
}

/** The connections that were disconnected: their activities stay, marked as such. */
function disconnectedIds(providers: ProviderPanel[]): Set<number> {
  return new Set(
    providers.flatMap((p) => (p.connection && p.connection.status === 'inactive' ? [p.connection.id] : [])),
  );
}

function activitiesTable(
  activities: Workout[],
  disconnected: Set<number>,
  units: DistanceUnits,
  filtered: boolean,
) {
  if (activities.length === 0) {
    return html`<p data-testid="no-activities">${filtered ? 'No activities match these filters.' : 'No activities yet.'}</p>`;
  }
  return html`<p class="hint link-bar">
      One row per workout: one that several providers stored names each of them. Two rows that are one
      workout: tick both, then
      <button type="button" data-action="link" data-testid="link-selected">Link selected as one workout</button>
    </p>
    <table class="activities stack" data-testid="activities">
    <thead>
      <tr><th>Start</th><th>Provider</th><th>Name</th><th>Sport</th><th>Distance</th><th>Duration</th><th>Elevation</th><th>Link</th></tr>
    </thead>
    <tbody>
      ${activities.map(
        (
          a,
        ) => html`<tr data-provider="${a.provider ?? ''}" data-providers="${a.providers.join(' ')}" data-activity-id="${a.id}"${
          a.connectionId !== null && disconnected.has(a.connectionId) ? html` data-disconnected="true"` : ''
        }>
          <td data-label="Start" class="start">${instantHtml(a.startDate, { localAt: a })}</td>
          <td data-label="Provider">${providersHtml(a)}${
            a.connectionId !== null && disconnected.has(a.connectionId)
              ? html` <span class="tag" data-testid="disconnected-tag">disconnected</span>`
              : ''
          }</td>
          <td data-label="Name" class="name"><a href="/dashboard/activities/${a.id}" data-testid="activity-link">${a.name || 'Untitled'}</a></td>
          <td data-label="Sport" class="sport" data-sport-type="${a.sportType}">${sportHtml(a.sportType)}</td>
          <td data-label="Distance" class="number">${formatDistance(a.distanceM, a.sportType, units)}</td>
          <td data-label="Duration" class="number">${durationHtml(a.movingTimeS ?? a.elapsedTimeS)}</td>
          <td data-label="Elevation" class="number">${formatElevation(a.totalElevationGainM, units)}</td>
          <td data-label="Link"><input type="checkbox" class="link-pick" value="${a.id}" data-testid="pick-${a.id}"
            aria-label="Select ${a.name || 'Untitled'} (${a.startDate.toISOString().slice(0, 16).replace('T', ' ')} UTC) to link" /></td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/**
 * The providers a workout came from, canonical first, each with its mark; a grouped workout offers to
 * separate each other copy ("not the same workout", a decision the matcher keeps).
 */
function providersHtml(w: Workout) {
  if (w.providers.length === 0) return '—';
  if (w.activityIds.length < 2) return providerHtml(w.providers[0]!, providerName(w.providers[0]!));
  return html`<ul class="copies" data-testid="copies-${w.id}">
    ${w.providers.map((p, i) => {
      const copy = w.activityIds[i]!;
      return html`<li>${providerHtml(p, providerName(p))}${
        i === 0
          ? ''
          : html` <button type="button" class="small" data-action="unlink" data-url="/api/activities/${copy}/unlink?other=${w.id}"
              data-testid="unlink-${copy}" aria-label="Unlink the ${providerName(p)} copy: not the same workout">Unlink</button>`
      }</li>`;
    })}
  </ul>`;
}

/**
 * A duration in the one format of the page (`4 min 05 s`, see `formatDuration`), as a `<time>` holding the
 * exact value (machine-readable, and on hover); `—` when unknown.
 */
function durationHtml(seconds: number | null | undefined) {
  const text = formatDuration(seconds);
  if (text === '—' || seconds == null) return text;
  return html`<time datetime="PT${Number(seconds.toFixed(3))}S" title="${exactDuration(seconds)}">${text}</time>`;
}

/**
 * A small page for errors a person meets in the browser (a refused consent, an expired state). `detail`
 * (the developer's message, codes and all) sits behind a disclosure; `retryHref` adds "Try again".
 */
export function messagePage(
  title: string,
  message: string,
  backHref: string,
  options: { detail?: string; retryHref?: string } = {},
) {
  return layout(
    title,
    '',
    html`<main id="main" tabindex="-1">
      <h1>${title}</h1>
      <p class="error" data-testid="message">${message}</p>
      ${
        options.detail
          ? html`<details data-testid="detail"><summary>Technical detail</summary><p>${options.detail}</p></details>`
          : ''
      }
      <p>
        ${options.retryHref ? html`<a href="${options.retryHref}" data-testid="retry">Try again</a> · ` : ''}
        <a href="${backHref}">Back to the dashboard</a>
      </p>
    </main>`,
  );
}

/** The admin sign-in form of `trainlytics serve` (`TRAINLYTICS_ADMIN_TOKEN`). */
export function loginPage(model: { csrfToken: string; returnTo: string; error: string | null }) {
  return layout(
    'Trainlytics — sign in',
    model.csrfToken,
    html`<main id="main" tabindex="-1"><h1>Sign in</h1>
      ${model.error ? html`<p class="error" role="alert" data-testid="login-error">${model.error}</p>` : ''}
      <form method="post" action="/login">
        <input type="hidden" name="csrf" value="${model.csrfToken}" />
        <input type="hidden" name="returnTo" value="${model.returnTo}" />
        <label>Admin token <input type="password" name="token" autocomplete="current-password" required /></label>
        <button type="submit" data-testid="sign-in">Sign in</button>
      </form>
      <p class="hint">The token is the server's <code>TRAINLYTICS_ADMIN_TOKEN</code>.</p></main>`,
  );
}

export function layout(title: string, csrfToken: string, body: unknown) {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${csrfToken}" />
        <title>${title}</title>
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        ${sportIconSprite()}
        ${body}
      </body>
    </html>`;
}
