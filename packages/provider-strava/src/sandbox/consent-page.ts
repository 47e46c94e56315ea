const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const scopeLabels: Record<string, string> = {
  read: 'View data about your public segments, routes and profile',
  read_all: 'View data about your private routes, segments, and events',
  'profile:read_all': 'View your complete Strava profile',
  'profile:write': 'Update your weight, FTP and other profile data',
  'activity:read': 'View data about your activities',
  'activity:read_all': 'View data about your private activities',
  'activity:write': 'Upload your activities to Strava',
};

/**
 * The sandbox's consent page: the app asks for `scopes`; the athlete can untick any but `read` (as on
 * strava.com), pick which seeded athlete they are, and Authorize or Cancel. The form posts back to the
 * same URL; the server redirects to the app with `code`/`scope`/`state` or `error=access_denied`.
 */
export function renderConsentPage(params: {
  action: string;
  hidden: Record<string, string>;
  scopes: string[];
  athletes: Array<{ id: string; name: string }>;
  selectedAthleteId?: string | undefined;
}): string {
  const hidden = Object.entries(params.hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n      ');
  const scopes = params.scopes
    .map(
      (s) =>
        `<label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked${s === 'read' ? ' disabled' : ''}> ${escapeHtml(scopeLabels[s] ?? s)}</label>${s === 'read' ? `<input type="hidden" name="scope" value="read">` : ''}`,
    )
    .join('<br>\n      ');
  const athletes = params.athletes
    .map(
      (a) =>
        `<option value="${escapeHtml(a.id)}"${a.id === params.selectedAthleteId ? ' selected' : ''}>${escapeHtml(a.name)} (${escapeHtml(a.id)})</option>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Authorize — Strava sandbox</title></head>
  <body>
    <h1>Authorize application</h1>
    <p>This application would like to access your Strava account.</p>
    <form method="post" action="${escapeHtml(params.action)}">
      ${hidden}
      <p><label>Signed in as <select name="athlete_id" id="athlete_id">${athletes}</select></label></p>
      <fieldset><legend>Permissions</legend>
      ${scopes}
      </fieldset>
      <button type="submit" name="decision" value="approve" id="authorize">Authorize</button>
      <button type="submit" name="decision" value="deny" id="cancel">Cancel</button>
    </form>
  </body>
</html>`;
}
