import { AUTHORIZATION_FIELDS } from './sandbox-consent-page';

/**
 * Plays the user at the consent page, over HTTP as a browser would: loads `authorizationUrl` (it must
 * answer 200), posts the form to `authorizeUrl` as `providerUserId` with `permissions` and the decision,
 * and returns the redirect's target (the app's callback URL, with `code` or `error`). `permissions` is
 * read once the page has loaded.
 */
export async function approveAtConsentPage(
  authorizeUrl: string,
  authorizationUrl: string,
  choice: { providerUserId: string; permissions: () => string[]; deny?: boolean },
): Promise<URL> {
  const page = await fetch(authorizationUrl);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`Garmin sandbox consent page answered ${page.status}: ${html}`);
  const query = new URL(authorizationUrl).searchParams;
  const form = new URLSearchParams();
  for (const key of AUTHORIZATION_FIELDS) {
    const value = query.get(key);
    if (value !== null) form.set(key, value);
  }
  form.set('user_id', choice.providerUserId);
  for (const p of choice.permissions()) form.append('permission', p);
  form.set('decision', choice.deny ? 'deny' : 'approve');
  const res = await fetch(authorizeUrl, {
    method: 'POST',
    body: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) {
    throw new Error(`Garmin sandbox consent answered ${res.status}: ${await res.text()}`);
  }
  return new URL(location);
}
