/** The sandbox's consent page: what a user sees at Garmin's `oauth2Confirm`, with Approve and Deny buttons. */

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const GARMIN_PERMISSIONS = [
  'ACTIVITY_EXPORT',
  'HEALTH_EXPORT',
  'HISTORICAL_DATA_EXPORT',
  'WORKOUT_IMPORT',
  'COURSE_IMPORT',
  'MCT_EXPORT',
] as const;

/** The authorization request's fields the consent form carries on to its POST (hidden inputs). */
export const AUTHORIZATION_FIELDS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const;

export function renderConsentPage(params: {
  query: URLSearchParams;
  users: string[];
  appName: string;
}): string {
  const hidden = AUTHORIZATION_FIELDS.map((key) => {
    const value = params.query.get(key);
    return value === null ? '' : `<input type="hidden" name="${key}" value="${escapeHtml(value)}">`;
  }).join('\n      ');
  const options = [
    ...params.users.map(
      (u, i) => `<option value="${escapeHtml(u)}"${i === 0 ? ' selected' : ''}>${escapeHtml(u)}</option>`,
    ),
    `<option value="new"${params.users.length === 0 ? ' selected' : ''}>Create a new Garmin account</option>`,
  ].join('');
  const permissions = GARMIN_PERMISSIONS.map(
    (p) => `<label><input type="checkbox" name="permission" value="${p}" checked> ${p}</label>`,
  ).join('<br>\n      ');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Garmin Connect (sandbox): authorize ${escapeHtml(params.appName)}</title></head>
<body>
  <h1>Garmin Connect sandbox</h1>
  <p><strong>${escapeHtml(params.appName)}</strong> would like to access your Garmin Connect data.</p>
  <form method="post" action="/oauth2Confirm" id="consent">
      ${hidden}
      <p><label for="user_id">Account</label>
      <select name="user_id" id="user_id">${options}</select></p>
      <fieldset><legend>Data shared</legend>
      ${permissions}
      </fieldset>
      <button type="submit" name="decision" value="approve" id="approve">Approve</button>
      <button type="submit" name="decision" value="deny" id="deny">Deny</button>
  </form>
</body>
</html>`;
}

export function renderErrorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Garmin Connect (sandbox): error</title></head><body><h1>Authorization error</h1><p>${escapeHtml(message)}</p></body></html>`;
}
