const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export interface ConsentPageParams {
  action: string;
  /** The authorization request's query parameters, carried as hidden fields. */
  fields: Record<string, string>;
  accounts: { polarUserId: string; label: string }[];
  clientName: string;
}

/** The sandbox's Polar Flow consent page: pick an account, then Approve or Deny. */
export function renderConsentPage(params: ConsentPageParams): string {
  const hidden = Object.entries(params.fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n      ');
  const options =
    params.accounts.length > 0
      ? params.accounts
          .map(
            (a) =>
              `<option value="${escapeHtml(a.polarUserId)}">${escapeHtml(a.label)} (${escapeHtml(a.polarUserId)})</option>`,
          )
          .join('')
      : '<option value="">A new Polar account</option>';
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Polar Flow – Authorize ${escapeHtml(params.clientName)}</title></head>
  <body>
    <h1>Polar Flow (sandbox)</h1>
    <p><strong>${escapeHtml(params.clientName)}</strong> wants to access your training data (accesslink.read_all).</p>
    <form method="post" action="${escapeHtml(params.action)}">
      ${hidden}
      <label for="user_id">Account</label>
      <select id="user_id" name="user_id">${options}</select>
      <button type="submit" name="decision" value="approve" id="approve">Approve</button>
      <button type="submit" name="decision" value="deny" id="deny">Deny</button>
    </form>
  </body>
</html>
`;
}
