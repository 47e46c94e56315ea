import { parseArgs } from 'node:util';
import { sandboxControlHelp } from '@trainlytics/core/testing';
import { startPolarSandboxServer } from './polar-sandbox';

const usage = `Usage: trainlytics-sandbox-polar [--port N] [--host H] [--accounts N] [--activities N] [--seed N]
         [--webhook-url URL]

Starts a Polar AccessLink sandbox and prints the variables that point the plugin at it.

  --port N             port to listen on (default 0: a free port)
  --host H             host (default 127.0.0.1)
  --accounts N         users to create at start (default 1)
  --activities N       exercises per user (default 40)
  --seed N             seed of the generated histories (default 1)
  --webhook-url URL    where POST /_sandbox/webhooks delivers when the app created no webhook
  -h, --help           show this help

Sandbox-only control endpoints (same on every Trainlytics sandbox):
  POST /_sandbox/activities {"account":"<id>","count":N}  adds N exercises, answers {"ids":[…]}
  POST /_sandbox/webhooks {"account":"<id>","type":"activity.created","activity":"<id>"}
                       delivers Polar's signed EXERCISE event, answers {"delivered":true,"status":…,"body":"…"}`;

/** `npx trainlytics-sandbox-polar --port 4003`: runs until interrupted. */
export async function runSandboxCli(
  argv: string[],
  io: { log: (line: string) => void } = { log: (line) => process.stdout.write(`${line}\n`) },
): Promise<{ close(): Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'webhook-url': { type: 'string' },
      accounts: { type: 'string', default: '1' },
      activities: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.log(usage);
    return { close: async () => {} };
  }
  const int = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
  const sandbox = await startPolarSandboxServer({
    port: int('port', values.port),
    host: values.host,
    seed: int('seed', values.seed),
    ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
  });
  const accounts: string[] = [];
  for (let i = 0; i < int('accounts', values.accounts); i++) {
    const { providerUserId } = await sandbox.seedAccount({
      activityCount: int('activities', values.activities),
    });
    accounts.push(providerUserId);
  }
  io.log(`Polar sandbox listening on ${sandbox.baseUrl}`);
  io.log(`Seeded accounts: ${accounts.join(', ') || '(none)'}`);
  io.log('Point the Polar plugin at it with:');
  for (const [key, value] of Object.entries(sandbox.env())) io.log(`  export ${key}=${value}`);
  for (const line of sandboxControlHelp(sandbox.baseUrl, accounts[0] ?? '<account id>')) io.log(line);
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return sandbox;
}
