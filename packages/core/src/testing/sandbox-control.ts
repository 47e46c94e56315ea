import type { ServerResponse } from 'node:http';

/**
 * Control endpoints of the provider sandboxes (`@trainlytics/provider-*` `/sandbox`), SANDBOX-ONLY: they exist
 * on the sandboxes' HTTP servers (test doubles on 127.0.0.1) and nowhere in a real provider's API. They let a
 * shell (curl, a script in another language) do what the programmatic API does, with the same shape on the
 * Strava, Garmin and Polar sandboxes:
 *
 * - `POST /_sandbox/activities` `{"account": "<id>", "count": N}` (count defaults to 1, at most 1000) adds N
 *   activities uploaded now to that account (`addActivities`) and answers 201 `{"ids": ["…", …]}`.
 * - `POST /_sandbox/webhooks` `{"account": "<id>", "type": "activity.created", "activity": "<id>", "url"?: "…"}`
 *   delivers the provider's webhook for the event (`sendWebhook`) to `url` or the sandbox's configured webhook URL
 *   and answers 200 `{"delivered": true, "status": <the app's status>, "body": "<the app's body>"}`, or
 *   `{"delivered": false}` when the provider sends nothing for it (an event it has no webhook for, an inactive
 *   Polar webhook). Types: `activity.created`, `activity.deleted` (need `activity`), `deauthorized`.
 *
 * Errors answer `{"error": "…"}`: 400 for a malformed request, 404 for an unknown account, 409 when the sandbox
 * cannot do it (e.g. no webhook URL configured or the app unreachable).
 */
export const SANDBOX_CONTROL_PREFIX = '/_sandbox';

/** What every sandbox's `sendWebhook` resolves to: the app's answer (null when nothing was sent). */
export interface SandboxWebhookResponse {
  status: number;
  body: string;
}

/** A webhook event the control endpoint can deliver. */
export type SandboxControlEvent =
  | { type: 'activity.created' | 'activity.deleted'; providerUserId: string; providerActivityId: string }
  | { type: 'deauthorized'; providerUserId: string };

/** What a sandbox hands to `handleSandboxControl`. */
export interface SandboxControlTarget {
  hasAccount(providerUserId: string): boolean;
  addActivities(providerUserId: string, count: number): Promise<string[]>;
  sendWebhook(event: SandboxControlEvent, url?: string): Promise<SandboxWebhookResponse | null>;
}

const MAX_COUNT = 1000;

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a fetch `Response` into the `SandboxWebhookResponse` every sandbox's `sendWebhook` returns. */
export async function toSandboxWebhookResponse(res: Response): Promise<SandboxWebhookResponse> {
  return { status: res.status, body: await res.text() };
}

/**
 * Answers a request under `SANDBOX_CONTROL_PREFIX`; returns false (nothing written) for any other path, so a
 * sandbox calls it first in its request handler. `body` is the request body already read.
 */
export async function handleSandboxControl(
  target: SandboxControlTarget,
  request: { method: string; path: string; body: string },
  res: ServerResponse,
): Promise<boolean> {
  const path = request.path.replace(/\/+$/, '');
  if (path !== SANDBOX_CONTROL_PREFIX && !path.startsWith(`${SANDBOX_CONTROL_PREFIX}/`)) return false;
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  try {
    const route = path.slice(SANDBOX_CONTROL_PREFIX.length);
    if (route !== '/activities' && route !== '/webhooks') {
      throw new ControlError(
        404,
        `No sandbox control endpoint ${path} (try POST ${SANDBOX_CONTROL_PREFIX}/activities or /webhooks)`,
      );
    }
    if (request.method !== 'POST') throw new ControlError(405, `${path} takes POST`);
    const input = parseObject(request.body);
    const account = requireString(input, 'account');
    if (!target.hasAccount(account)) throw new ControlError(404, `The sandbox has no account "${account}"`);
    if (route === '/activities') {
      const count = input.count === undefined ? 1 : input.count;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
        throw new ControlError(400, `"count" must be an integer from 1 to ${MAX_COUNT}`);
      }
      const ids = await attempt(() => target.addActivities(account, count));
      send(201, { ids });
      return true;
    }
    const url = input.url;
    if (url !== undefined && (typeof url !== 'string' || !URL.canParse(url))) {
      throw new ControlError(400, '"url" must be an absolute URL');
    }
    const event = controlEvent(input, account);
    const answer = await attempt(() => target.sendWebhook(event, url as string | undefined));
    send(200, answer ? { delivered: true, ...answer } : { delivered: false });
  } catch (error) {
    if (!(error instanceof ControlError)) throw error;
    send(error.status, { error: error.message });
  }
  return true;
}

function controlEvent(input: Record<string, unknown>, account: string): SandboxControlEvent {
  const type = input.type;
  if (type === 'deauthorized') return { type, providerUserId: account };
  if (type === 'activity.created' || type === 'activity.deleted') {
    return { type, providerUserId: account, providerActivityId: requireString(input, 'activity') };
  }
  throw new ControlError(400, '"type" must be activity.created, activity.deleted or deauthorized');
}

async function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ControlError(409, error instanceof Error ? error.message : String(error));
  }
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ControlError(400, 'The body must be a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ControlError(400, 'The body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  // ids are strings; a JSON number is accepted when it is exactly representable
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value !== 'string' || value === '')
    throw new ControlError(400, `"${key}" must be a non-empty string`);
  return value;
}

/** The lines a sandbox CLI prints (and READMEs show) to add an activity and send a webhook from a shell. */
export function sandboxControlHelp(baseUrl: string, account: string): string[] {
  const post = (path: string, body: string) =>
    `  curl -s -X POST ${baseUrl}${SANDBOX_CONTROL_PREFIX}/${path} -H 'content-type: application/json' -d '${body}'`;
  return [
    'Add an activity / send its webhook (sandbox-only control endpoints):',
    post('activities', `{"account":"${account}","count":1}`),
    post('webhooks', `{"account":"${account}","type":"activity.created","activity":"<id from above>"}`),
  ];
}
