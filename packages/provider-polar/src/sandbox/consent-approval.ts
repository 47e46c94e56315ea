/**
 * Plays the user at the sandbox's consent page (`ConformanceSandbox.approve`): loads `authorizationUrl`,
 * submits the form to `authorizeUrl` for the account with Approve (or Deny), and returns the URL Polar
 * redirects to (`code`, `state`, … or `error`). A request refused before consent (e.g. `invalid_scope`)
 * returns its redirect at once.
 */
export async function approveAtConsentPage(
  authorizationUrl: string,
  authorizeUrl: string,
  options: { providerUserId: string; deny?: boolean; scopes?: string[] },
): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  const html = await page.text();
  const early = page.headers.get('location');
  if (page.status === 302 && early) return new URL(early); // refused before consent (e.g. invalid_scope)
  if (page.status !== 200) throw new Error(`The Polar sandbox consent page answered ${page.status}: ${html}`);
  const query = new URL(authorizationUrl).searchParams;
  const form = new URLSearchParams(query);
  if (options.scopes) form.set('scope', options.scopes.join(' '));
  form.set('user_id', options.providerUserId);
  form.set('decision', options.deny ? 'deny' : 'approve');
  const res = await fetch(authorizeUrl, { method: 'POST', body: form, redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) {
    throw new Error(
      `The Polar sandbox did not redirect after consent (HTTP ${res.status}): ${await res.text()}`,
    );
  }
  return new URL(location);
}
