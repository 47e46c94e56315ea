import { type ActivityRow, type Connection, type SyncRecord, sportTypeDisplayName } from '@trainlytics/core';
import { html } from 'hono/html';
import { formatDistance, formatDuration, formatInstant } from '../format';
import type { ProviderNotice } from '../provider-notices';
import type { DeadSyncJob } from '../worker/sync-queue';
import { type AppUser, displayName } from './users';

export interface ProviderPanel {
  id: string;
  name: string;
  /** Credentials are set: the provider can be connected. */
  configured: boolean;
  /** How to configure it, when not. */
  configureHint: string;
  connection: Connection | null;
  history: SyncRecord[];
}

export interface DashboardModel {
  users: AppUser[];
  user: AppUser | null;
  providers: ProviderPanel[];
  activities: ActivityRow[];
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
        ${model.signOut ? signOutForm(model.csrfToken) : ''}
      </header>
      ${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
      ${(model.providerNotices ?? []).map(
        (n) =>
          html`<p class="notice provider-notice" role="alert" data-testid="provider-notice-${n.kind}">${n.message}</p>`,
      )}
      ${model.user ? userSection(model, model.user) : model.admin === false ? '' : createUserForm(model.csrfToken)}
      ${model.deadJobs ? deadJobsSection(model.deadJobs) : ''}
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
  return html`<section data-testid="dead-jobs">
    <h2>Failed sync jobs</h2>
    ${
      jobs.length === 0
        ? html`<p class="hint">None: every queued sync succeeded or is still being retried.</p>`
        : html`<table class="history">
            <thead>
              <tr><th>Job</th><th>Connection</th><th>Type</th><th>Attempts</th><th>Failed at</th><th>Error</th></tr>
            </thead>
            <tbody>
              ${jobs.map(
                (j) => html`<tr>
                  <td>${j.jobId}</td>
                  <td class="number">${j.connectionId}</td>
                  <td>${j.full ? 'full' : 'incremental'}</td>
                  <td class="number">${j.attempts}</td>
                  <td>${formatInstant(j.failedAt)}</td>
                  <td class="error-message">${j.errorMessage ?? ''}</td>
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
    <section>
      <h2>Recent activities</h2>
      ${activitiesTable(model.activities)}
    </section>`;
}

function providerCard(panel: ProviderPanel, user: AppUser, csrfToken: string, syncAfterConnect: boolean) {
  const connection = panel.connection;
  const status = connection ? connection.status : 'never';
  const awaitingFirstSync =
    syncAfterConnect && status === 'active' && !connection?.lastSyncAt && panel.history.length === 0;
  const connectLabel = status === 'never' ? 'Connect' : 'Reconnect';
  const connectForm = panel.configured
    ? html`<form method="post" action="/connect/${panel.id}">
        <input type="hidden" name="csrf" value="${csrfToken}" />
        <input type="hidden" name="user" value="${user.id}" />
        <button type="submit" data-testid="connect-${panel.id}">${connectLabel} ${panel.name}</button>
      </form>`
    : html`<p class="hint">Not configured: ${panel.configureHint}</p>`;
  const awaiting = awaitingFirstSync ? html` data-awaiting-first-sync="true"` : '';
  return html`<article class="provider" data-provider="${panel.id}" data-status="${status}"${awaiting}>
    <h3>${panel.name} <span class="status status-${status}" data-testid="status-${panel.id}">${STATUS_LABELS[status]}</span></h3>
    ${
      connection
        ? html`<p>
            Account ${connection.providerUserId}
            ${profileName(connection) ? html`(${profileName(connection)})` : ''} · last sync
            <span data-testid="last-sync-${panel.id}">${formatInstant(connection.lastSyncAt)}</span>
          </p>
          ${connection.lastError ? html`<p class="error">Last error: ${connection.lastError}</p>` : ''}`
        : ''
    }
    <div class="actions">
      ${status === 'active' ? '' : connectForm}
      ${
        connection && status !== 'inactive'
          ? html`<button type="button" data-action="sync" data-url="/api/connections/${connection.id}/sync" data-testid="sync-${panel.id}">Sync now</button>
              <button type="button" data-action="disconnect" data-url="/api/connections/${connection.id}/disconnect" data-testid="disconnect-${panel.id}">Disconnect</button>`
          : ''
      }
    </div>
    ${panel.history.length > 0 ? historyTable(panel.history) : ''}
  </article>`;
}

function profileName(connection: Connection): string {
  return [connection.profile.firstName, connection.profile.lastName].filter(Boolean).join(' ');
}

function historyTable(history: SyncRecord[]) {
  return html`<table class="history">
    <caption>Sync history</caption>
    <thead>
      <tr><th>Started</th><th>Duration</th><th>Type</th><th>Status</th><th>Created</th><th>Updated</th><th>Error</th></tr>
    </thead>
    <tbody>
      ${history.map(
        (h) => html`<tr data-status="${h.status}">
          <td>${formatInstant(h.startedAt)}</td>
          <td>${h.completedAt ? `${((h.completedAt.getTime() - h.startedAt.getTime()) / 1000).toFixed(1)} s` : '…'}</td>
          <td>${h.syncType}</td>
          <td>${h.status}</td>
          <td class="number">${h.activitiesCreated}</td>
          <td class="number">${h.activitiesUpdated}</td>
          <td class="error-message">${h.errorMessage ?? ''}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function activitiesTable(activities: ActivityRow[]) {
  if (activities.length === 0) return html`<p data-testid="no-activities">No activities yet.</p>`;
  return html`<table class="activities" data-testid="activities">
    <thead>
      <tr><th>Start</th><th>Provider</th><th>Name</th><th>Sport</th><th>Distance</th><th>Duration</th></tr>
    </thead>
    <tbody>
      ${activities.map(
        (a) => html`<tr data-provider="${a.provider ?? ''}">
          <td>${a.startDateLocal ? a.startDateLocal.replace('T', ' ') : formatInstant(a.startDate)}</td>
          <td>${a.provider ?? ''}</td>
          <td>${a.name ?? ''}</td>
          <td class="sport" data-sport-type="${a.sportType}">${sportTypeDisplayName(a.sportType)}</td>
          <td class="number">${formatDistance(a.distanceM)}</td>
          <td class="number">${formatDuration(a.movingTimeS ?? a.elapsedTimeS)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A small page for errors a person meets in the browser (a refused consent, an expired state). */
export function messagePage(title: string, message: string, backHref: string) {
  return layout(
    title,
    '',
    html`<h1>${title}</h1>
      <p class="error" data-testid="message">${message}</p>
      <p><a href="${backHref}">Back to the dashboard</a></p>`,
  );
}

/** The admin sign-in form of `trainlytics serve` (`TRAINLYTICS_ADMIN_TOKEN`). */
export function loginPage(model: { csrfToken: string; returnTo: string; error: string | null }) {
  return layout(
    'Trainlytics — sign in',
    model.csrfToken,
    html`<h1>Sign in</h1>
      ${model.error ? html`<p class="error" role="alert" data-testid="login-error">${model.error}</p>` : ''}
      <form method="post" action="/login">
        <input type="hidden" name="csrf" value="${model.csrfToken}" />
        <input type="hidden" name="returnTo" value="${model.returnTo}" />
        <label>Admin token <input type="password" name="token" autocomplete="current-password" required /></label>
        <button type="submit" data-testid="sign-in">Sign in</button>
      </form>
      <p class="hint">The token is the server's <code>TRAINLYTICS_ADMIN_TOKEN</code>.</p>`,
  );
}

function layout(title: string, csrfToken: string, body: unknown) {
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
        ${body}
      </body>
    </html>`;
}
