import { parseArgs } from 'node:util';
import { sandboxControlHelp } from '@trainlytics/core/testing';
import { GarminSandboxServer } from './garmin-sandbox';

const usage = `Usage: trainlytics-sandbox-garmin [options]

A local Garmin Health/Activity API (OAuth 2.0 PKCE, pull, backfill, notifications) for development.

Options:
  --port N             port to listen on (default 0: a free port)
  --host H             host (default 127.0.0.1)
  --accounts N         users to create at start (default 1)
  --activities N       activities per user (default 50)
  --seed N             seed of the generated histories (default 1)
  --client-id ID       OAuth client id (default garmin-sandbox-client)
  --client-secret S    OAuth client secret (default garmin-sandbox-secret)
  --webhook-url URL    where notifications are delivered: a requested backfill is
                       posted there by itself about a second later, as Garmin does
  --mode push|ping     how activity notifications are sent (default push)
  -h, --help           show this help

Sandbox-only control endpoints (same on every Trainlytics sandbox):
  POST /_sandbox/activities {"account":"<id>","count":N}  adds N activities, answers {"ids":[…]}
  POST /_sandbox/webhooks {"account":"<id>","type":"activity.created","activity":"<id>"}
                       delivers Garmin's notification to --webhook-url (or "url" in the body),
                       answers {"delivered":true,"status":…,"body":"…"}`;

/** `npx trainlytics-sandbox-garmin --port N`: starts the sandbox, prints its URL and the env vars to use. */
export async function runSandboxCli(
  argv: string[],
  io: { log: (line: string) => void } = { log: (line) => console.log(line) },
): Promise<{ close(): Promise<void> } | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      accounts: { type: 'string' },
      activities: { type: 'string' },
      seed: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'webhook-url': { type: 'string' },
      mode: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.log(usage);
    return undefined;
  }
  const int = (name: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
  const mode = values.mode ?? 'push';
  if (mode !== 'push' && mode !== 'ping') throw new Error(`--mode must be push or ping, got "${mode}"`);
  const accounts = int('accounts', values.accounts, 1);
  const activityCount = int('activities', values.activities, 50);
  const sandbox = await new GarminSandboxServer({
    port: int('port', values.port, 0),
    ...(values.host ? { host: values.host } : {}),
    seed: int('seed', values.seed, 1),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}),
    ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
    notificationMode: mode,
  }).listen();
  const seeded: string[] = [];
  for (let i = 0; i < accounts; i++)
    seeded.push((await sandbox.seedAccount({ activityCount })).providerUserId);
  io.log(`Garmin sandbox listening on ${sandbox.baseUrl}`);
  io.log(`Seeded accounts: ${seeded.join(', ') || '(none)'}`);
  io.log('Point the Garmin plugin at it with:');
  for (const [key, value] of Object.entries(sandbox.env())) io.log(`  export ${key}=${value}`);
  for (const line of sandboxControlHelp(sandbox.baseUrl, seeded[0] ?? '<account id>')) io.log(line);
  return sandbox;
}
