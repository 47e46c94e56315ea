/**
 * The dashboard's only script: the "Sync now" and "Disconnect" buttons POST with the page's CSRF token
 * and reload the page; while a sync is running the page refreshes itself. Served from `/assets/dashboard.js` so the CSP can forbid inline scripts.
 */
export const DASHBOARD_SCRIPT = `'use strict';
// While a sync is running (or a new connection waits for its first one), refresh so the results appear.
if (document.querySelector('tr[data-status="running"], [data-awaiting-first-sync]')) {
  setTimeout(() => window.location.reload(), 1500);
}
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const label = button.textContent;
  button.disabled = true;
  button.textContent = button.dataset.action === 'sync' ? 'Syncing…' : 'Disconnecting…';
  try {
    const response = await fetch(button.dataset.url, {
      method: 'POST',
      headers: { 'x-csrf-token': token, accept: 'application/json' },
      credentials: 'same-origin',
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.message || response.statusText);
    }
    window.location.reload();
  } catch (error) {
    button.disabled = false;
    button.textContent = label;
    const notice = document.createElement('p');
    notice.className = 'notice error';
    notice.setAttribute('role', 'alert');
    notice.textContent = error.message;
    button.closest('article').append(notice);
  }
});
`;

export const DASHBOARD_STYLES = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2433; }
header { display: flex; align-items: center; justify-content: space-between; }
.providers { display: grid; grid-template-columns: 1fr; gap: 1rem; }
.provider { border: 1px solid #d5d9e2; border-radius: 8px; padding: 1rem; min-width: 0; overflow-x: auto; }
.history { font-size: 0.75rem; }
.history th, .history td { padding: 0.2rem 0.3rem; white-space: nowrap; }
.history td.error-message { white-space: normal; min-width: 8rem; }
.status { font-size: 0.8rem; padding: 0.1rem 0.5rem; border-radius: 1rem; background: #eef0f4; }
.status-active { background: #d9f2df; }
.status-reauth_required { background: #fde8c8; }
.status-inactive { background: #f4d9d9; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.5rem 0; }
.actions form { margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin-top: 0.5rem; }
th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eef0f4; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; }
.error { color: #a4262c; }
.notice { background: #fff6d6; padding: 0.5rem; border-radius: 4px; }
.hint { color: #5b6475; font-size: 0.85rem; }
footer { margin-top: 2rem; color: #5b6475; font-size: 0.8rem; }
`;
