/**
 * The dashboard's only script, served from `/assets/dashboard.js` so the CSP can forbid inline scripts:
 *
 * - Times: every `<time datetime>` (printed in UTC by the server) is shown in the viewer's time zone, with
 *   its label, so a list sorted by instant reads in order.
 * - Updates in place, never a reload: while a card is `data-pending` (a sync running, a first sync or a
 *   backfill on its way) and after every action, the page fetches itself and swaps only the regions
 *   (`data-live`) whose server HTML changed, and the text of the `role="status"` lines (`data-live-text`).
 *   Keyboard focus stays where it is (a replaced control is focused again by its `data-testid`).
 * - While an action awaits its answer the page keeps updating too, so a long sync shows its progress
 *   ("page 3 · 412 activities so far") in the card's status line.
 * - "Sync now" and "Disconnect" POST with the page's CSRF token; their outcome (the server's reason on
 *   failure) replaces the card's one notice, and the history is refreshed.
 * - "Unlink" (a copy that is not the same workout) and "Link selected as one workout" (the two ticked rows)
 *   POST the same way; their outcome is the activity list's notice, and the list is refreshed.
 */
export const DASHBOARD_SCRIPT = `'use strict';
const POLL_MS = 1500;
const timeFormat = new Intl.DateTimeFormat('en-US', {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  hourCycle: 'h23', timeZoneName: 'short',
});
function localize(root) {
  for (const t of root.querySelectorAll('time[datetime]')) {
    const date = new Date(t.dateTime);
    if (Number.isNaN(date.getTime())) continue;
    const p = Object.fromEntries(timeFormat.formatToParts(date).map((x) => [x.type, x.value]));
    const exact = p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ' ' + p.timeZoneName;
    if (t.dataset.relative) {
      t.textContent = relative(date);
      t.title = exact;
    } else {
      t.textContent = exact;
    }
  }
}
function relative(date) {
  const minutes = Math.round((Date.now() - date.getTime()) / 60000);
  const future = date.getTime() > Date.now();
  if (Math.abs(minutes) < 1) return future ? 'in under a minute' : 'just now';
  const m = Math.abs(minutes);
  const hours = Math.round(m / 60);
  const span = m < 60 ? m + ' min' : hours < 48 ? hours + ' h' : Math.round(hours / 24) + ' days';
  return future ? 'in ' + span : span + ' ago';
}
// The server HTML of each live region, to compare with the next fetch (times are rewritten locally).
const served = new Map();
function remember(root) {
  for (const region of root.querySelectorAll('[data-live]')) served.set(region.dataset.live, region.innerHTML);
}
remember(document);
localize(document);

function apply(doc) {
  for (const fresh of doc.querySelectorAll('[data-live]')) {
    const key = fresh.dataset.live;
    if (served.get(key) === fresh.innerHTML) continue;
    const current = document.querySelector('[data-live="' + CSS.escape(key) + '"]');
    if (!current) continue;
    const active = document.activeElement;
    const focused = active && current.contains(active) ? active.dataset.testid || '' : null;
    const node = document.importNode(fresh, true);
    localize(node);
    current.replaceWith(node);
    served.set(key, fresh.innerHTML);
    if (focused !== null) {
      const again = focused ? document.querySelector('[data-testid="' + CSS.escape(focused) + '"]') : null;
      const scope = node.closest('article') || document;
      (again || scope.querySelector('[tabindex="-1"]') || document.body).focus();
    }
  }
  for (const fresh of doc.querySelectorAll('[data-live-text]')) {
    const current = document.querySelector('[data-live-text="' + CSS.escape(fresh.dataset.liveText) + '"]');
    if (current && current.textContent !== fresh.textContent) current.textContent = fresh.textContent;
  }
  for (const fresh of doc.querySelectorAll('article[data-provider]')) {
    const current = document.querySelector('article[data-provider="' + CSS.escape(fresh.dataset.provider) + '"]');
    if (!current) continue;
    for (const name of ['data-status', 'data-pending', 'data-awaiting-first-sync']) {
      const value = fresh.getAttribute(name);
      if (value === null) current.removeAttribute(name);
      else if (current.getAttribute(name) !== value) current.setAttribute(name, value);
    }
  }
}

let timer = null;
let refreshing = null;
async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      const response = await fetch(window.location.href, {
        headers: { accept: 'text/html' }, credentials: 'same-origin', cache: 'no-store',
      });
      if (!response.ok) return;
      apply(new DOMParser().parseFromString(await response.text(), 'text/html'));
    } catch {
      // offline for a moment: the next poll tries again
    } finally {
      refreshing = null;
    }
  })();
  await refreshing;
  schedule();
}
// actions awaiting their answer: the page keeps updating meanwhile (a long sync shows its pages)
let inFlight = 0;
function schedule() {
  if (timer !== null || (inFlight === 0 && !document.querySelector('[data-pending]'))) return;
  timer = setTimeout(() => { timer = null; refresh(); }, POLL_MS);
}
schedule();

function notify(article, text, kind, retry) {
  const box = article && article.querySelector('.card-notice');
  if (!box) return;
  // one notice per card: the latest outcome replaces the previous one
  box.replaceChildren();
  if (!text) return;
  const p = document.createElement('p');
  p.className = kind === 'error' ? 'notice error' : 'notice';
  p.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  p.textContent = text;
  box.append(p);
  if (retry) {
    // "Try again": the same action, from the button as it is now (the card may have been updated)
    const again = document.createElement('button');
    again.type = 'button';
    again.textContent = 'Try again';
    again.dataset.testid = 'retry-' + retry;
    again.addEventListener('click', () => {
      const target = document.querySelector('[data-testid="' + CSS.escape(retry) + '"]');
      if (target) target.click();
      else box.replaceChildren();
    });
    box.append(again);
  }
}
const BUSY = { sync: 'Syncing…', disconnect: 'Disconnecting…', link: 'Linking…', unlink: 'Unlinking…' };
const FAILED = { sync: 'Sync failed: ', disconnect: 'Disconnect failed: ', link: 'Link failed: ', unlink: 'Unlink failed: ' };
function describe(action, body) {
  if (action === 'sync') return describeSync(body);
  if (action === 'link') return 'Linked: one workout from ' + (body.activityIds || []).length + ' copies.';
  if (action === 'unlink') return 'Unlinked: the copies are separate workouts now.';
  return 'Disconnected.';
}
function describeSync(body) {
  if (body.status === 'deferred') {
    return 'Paused by the provider\\'s rate limit: it resumes by itself' +
      (body.retryAt ? ' at ' + new Date(body.retryAt).toLocaleTimeString() : '') + '.';
  }
  const created = body.activitiesCreated || 0;
  const updated = body.activitiesUpdated || 0;
  return 'Synced: ' + created + ' new, ' + updated + ' updated.';
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  // busy: aria-disabled rather than disabled, which would drop the keyboard focus
  if (!button || button.getAttribute('aria-disabled') === 'true') return;
  // an action that changes more than a sync says what it does first (Disconnect, Full re-sync)
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const article = button.closest('article') || button.closest('section');
  const label = button.textContent;
  const action = button.dataset.action;
  let url = button.dataset.url;
  if (action === 'link') {
    const picked = [...document.querySelectorAll('input.link-pick:checked')].map((box) => box.value);
    if (picked.length !== 2) {
      notify(article, 'Tick exactly two workouts to link (' + picked.length + ' ticked).', 'error');
      return;
    }
    url = '/api/activities/' + picked[0] + '/link?other=' + picked[1];
  }
  button.setAttribute('aria-disabled', 'true');
  button.textContent = BUSY[action] || label;
  notify(article, '');
  inFlight++;
  schedule();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'x-csrf-token': token, accept: 'application/json' },
      credentials: 'same-origin',
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      // the reason the server gave (a failed sync's errorMessage, an error's message), not the status text
      const reason = body.errorMessage || body.message || response.statusText || 'HTTP ' + response.status;
      notify(article, (FAILED[action] || '') + reason, 'error', button.dataset.testid);
    } else {
      notify(article, describe(action, body), 'status');
    }
  } catch (error) {
    notify(article, 'The server could not be reached: ' + error.message, 'error', button.dataset.testid);
  } finally {
    inFlight--;
    button.removeAttribute('aria-disabled');
    button.textContent = label;
  }
  await refresh();
});
`;

export const DASHBOARD_STYLES = `
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2433; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem; }
header form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
select { max-width: 100%; }
.skip-link { position: absolute; left: -9999px; top: 0; }
.skip-link:focus { left: 1rem; top: 1rem; background: #fff; padding: 0.5rem; z-index: 1; }
:focus-visible { outline: 3px solid #2457c5; outline-offset: 2px; }
main:focus, h3:focus { outline: none; }
.providers { display: grid; grid-template-columns: 1fr; gap: 1rem; }
.provider { border: 1px solid #d5d9e2; border-radius: 8px; padding: 1rem; min-width: 0; }
.provider p, .error-message, td.name { overflow-wrap: anywhere; }
.history { font-size: 0.75rem; }
.history th, .history td { padding: 0.2rem 0.3rem; }
.history td.error-message { min-width: 8rem; }
.status { font-size: 0.8rem; padding: 0.1rem 0.5rem; border-radius: 1rem; background: #eef0f4; white-space: nowrap; }
.status-active { background: #d9f2df; }
.status-reauth_required { background: #fde8c8; }
.status-inactive { background: #f4d9d9; }
.tag { font-size: 0.7rem; padding: 0 0.4rem; border-radius: 1rem; background: #f4d9d9; color: #1d2433; }
tr[data-disconnected] { color: #5b6475; }
.state:empty { display: none; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.5rem 0; }
.actions form { margin: 0; }
.filter { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.sprite { display: none; }
.icon, .mark { width: 1.1em; height: 1.1em; vertical-align: -0.2em; flex: none; }
.icon { color: #2457c5; }
.sport-name, .provider-name { display: inline-flex; align-items: center; gap: 0.35em; }
.copies { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.15rem; }
button.small { font-size: 0.75rem; padding: 0 0.4rem; }
.link-bar { margin: 0.5rem 0 0; }
.paging { display: flex; gap: 1rem; margin-top: 0.5rem; }
.weekly { margin: 0.5rem 0; max-width: 32rem; }
.weekly svg { width: 100%; height: 8rem; display: block; }
.weekly figcaption { color: #5b6475; font-size: 0.8rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin-top: 0.5rem; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eef0f4; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
time { white-space: nowrap; }
caption { text-align: left; font-weight: 600; }
.error { color: #a4262c; }
.notice { background: #fff6d6; padding: 0.5rem; border-radius: 4px; }
.hint { color: #5b6475; font-size: 0.85rem; }
footer { margin-top: 2rem; color: #5b6475; font-size: 0.8rem; }
/* Phones: each table row becomes a small block of "label value" lines, so no column leaves the screen. */
@media (max-width: 40rem) {
  body { margin: 1rem auto; padding: 0 0.75rem; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack caption { display: block; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.stack tr { border-bottom: 1px solid #d5d9e2; padding: 0.25rem 0; }
  table.stack td { display: flex; justify-content: space-between; gap: 1rem; border: 0; padding: 0.1rem 0; text-align: right; }
  table.stack td::before { content: attr(data-label); font-weight: 600; text-align: left; flex: none; }
  table.stack td.error-message:empty { display: none; }
  table.stack td.number { text-align: right; }
}
`;
