import type { ConformanceSandbox } from '@trainlytics/core/testing';

/**
 * Connects a sandbox account through the running host app exactly as a browser would: `GET
 * /connect/:provider` (redirect to the consent page), the sandbox's user approves, then the callback
 * request goes back to the app, which finishes the connection and redirects to the dashboard.
 */
export async function connectOverHttp(input: {
  appUrl: string;
  providerId: string;
  userId: number;
  sandbox: ConformanceSandbox;
  providerUserId: string;
}): Promise<void> {
  const startUrl = `${input.appUrl}/connect/${input.providerId}?user=${input.userId}`;
  const start = await fetch(startUrl, { redirect: 'manual' });
  const authorizationUrl = start.headers.get('location');
  if (start.status !== 302 || !authorizationUrl) {
    throw new Error(`GET ${startUrl} answered ${start.status}: ${await pageMessage(start)}`);
  }
  const callback = await input.sandbox.approve(authorizationUrl, { providerUserId: input.providerUserId });
  const finish = await fetch(callback, { redirect: 'manual' });
  const location = finish.headers.get('location');
  if (finish.status !== 303 || !location?.startsWith('/dashboard')) {
    throw new Error(
      `The ${input.providerId} callback answered ${finish.status}: ${await pageMessage(finish)}`,
    );
  }
}

/** The message of one of the app's error pages (or the start of any body), as one line. */
async function pageMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  const match = /data-testid="message">([^<]*)</.exec(text);
  const message = (match?.[1] ?? text.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
  return message.slice(0, 300) || response.statusText;
}
