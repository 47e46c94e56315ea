import { parseArgs } from 'node:util';
import { sandboxControlHelp } from '@trainlytics/core/testing';
import type { StravaApiSandboxOptions } from './sandbox-options';
import type { SandboxRateLimit } from './sandbox-rate-limiter';
import { type StravaApiSandbox, startStravaApiSandbox } from './strava-api-sandbox';

const usage = `Usage: trainlytics-sandbox-strava [strava] [--port N] [--host H] [--accounts N] [--activities N] [--seed N]
         [--webhook-url URL] [--rate-limit N] [--daily-limit N] [--read-limit N] [--read-daily-limit N]
         [--api-base www|api-v3] [--api-port N]
         [--app-inactive] [--athlete-cap N] [--retire-deauthorize] [--header-tokens-only]

Starts a local Strava API sandbox and prints the environment variables that point Trainlytics at it.

  --port N               port to listen on (default 0: a free port)
  --host H               host (default 127.0.0.1)
  --accounts N           athletes to create at start (default 2; --athletes is an alias)
  --activities N         activities per athlete (default 250)
  --seed N               seed of the generated histories (default 1)
  --webhook-url URL      where POST /_sandbox/webhooks delivers when no push subscription exists
  --rate-limit N         overall requests per 15 minutes (default 1000), answered 429 beyond
  --daily-limit N        overall requests per day (default 100000)
  --read-limit N         non-upload requests per 15 minutes (default: --rate-limit); Strava: 100 (overall 200)
  --read-daily-limit N   non-upload requests per day (default: --daily-limit); Strava: 1000 (overall 2000)
  -h, --help             show this help

Sandbox-only control endpoints (same on every Trainlytics sandbox):
  POST /_sandbox/activities {"account":"<id>","count":N}  adds N activities, answers {"ids":[…]}
  POST /_sandbox/webhooks {"account":"<id>","type":"activity.created","activity":"<id>"}
                         delivers Strava's webhook, answers {"delivered":true,"status":…,"body":"…"}

Strava's 2026 developer program:
  --api-base api-v3      serve the API at the root of a second origin (like https://api-v3.strava.com),
                         OAuth alone on the first (--api-port chooses the second port)
  --app-inactive         every call answers 403 Application Status Inactive (owner without subscription)
  --athlete-cap N        at most N connected athletes (Standard tier: 10); one more gets a 403
  --retire-deauthorize   POST /oauth/deauthorize answers 404 (from 2027-06-01); /oauth/revoke always works
  --header-tokens-only   an access token in a query or form parameter is refused (from 2027-06-01)`;

/** Where the CLI writes, and whether it stops the sandbox on SIGINT/SIGTERM (default true). */
export interface SandboxCliIo {
  out: (line: string) => void;
  handleSignals?: boolean;
}

/**
 * The sandbox CLI (`npx trainlytics-sandbox-strava --port 4010`). Runs until SIGINT/SIGTERM.
 * Returns the started sandbox so callers (the demo) can drive it; `start` starts it (the `./sandbox`
 * entry passes `startStravaSandbox`, whose sandbox also builds the plugin; default the sandbox alone).
 */
export async function runSandboxCli<S extends StravaApiSandbox = StravaApiSandbox>(
  argv: string[],
  io: SandboxCliIo = { out: (line) => process.stdout.write(`${line}\n`) },
  start: (options: StravaApiSandboxOptions) => Promise<S> = startStravaApiSandbox as never,
): Promise<S | null> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      accounts: { type: 'string' },
      athletes: { type: 'string' },
      'webhook-url': { type: 'string' },
      activities: { type: 'string', default: '250' },
      seed: { type: 'string', default: '1' },
      'rate-limit': { type: 'string' },
      'daily-limit': { type: 'string' },
      'read-limit': { type: 'string' },
      'read-daily-limit': { type: 'string' },
      'api-base': { type: 'string', default: 'www' },
      'api-port': { type: 'string', default: '0' },
      'app-inactive': { type: 'boolean', default: false },
      'athlete-cap': { type: 'string' },
      'retire-deauthorize': { type: 'boolean', default: false },
      'header-tokens-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(usage);
    return null;
  }
  if (positionals.length > 0 && positionals[0] !== 'strava') {
    throw new Error(`Unknown provider "${positionals[0]}": this is the Strava sandbox\n${usage}`);
  }
  const int = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
  const rateLimit: SandboxRateLimit = {
    ...(values['rate-limit'] ? { limit: int('rate-limit', values['rate-limit']) } : {}),
    ...(values['daily-limit'] ? { dailyLimit: int('daily-limit', values['daily-limit']) } : {}),
    ...(values['read-limit'] ? { readLimit: int('read-limit', values['read-limit']) } : {}),
    ...(values['read-daily-limit']
      ? { readDailyLimit: int('read-daily-limit', values['read-daily-limit']) }
      : {}),
  };
  const apiBase = values['api-base'];
  if (apiBase !== 'www' && apiBase !== 'api-v3') {
    throw new Error(`--api-base must be www or api-v3, got "${apiBase}"`);
  }
  const athleteCap = values['athlete-cap'] === undefined ? null : int('athlete-cap', values['athlete-cap']);
  const sandbox = await start({
    port: int('port', values.port),
    host: values.host,
    apiBase,
    apiPort: int('api-port', values['api-port']),
    program: {
      appInactive: values['app-inactive'],
      athleteCap,
      retireDeauthorize: values['retire-deauthorize'],
      headerTokensOnly: values['header-tokens-only'],
    },
    ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
    rateLimit,
  });
  const seed = int('seed', values.seed);
  const athletes: string[] = [];
  // --accounts is the flag every sandbox takes; --athletes, the Strava sandbox's original name, is an alias
  const accountFlag =
    values.accounts === undefined && values.athletes !== undefined ? 'athletes' : 'accounts';
  const accountCount = int(accountFlag, values.accounts ?? values.athletes ?? '2');
  for (let i = 0; i < accountCount; i++) {
    const { providerUserId } = await sandbox.seedAthlete({
      activityCount: int('activities', values.activities),
      seed: seed + i,
    });
    athletes.push(providerUserId);
  }
  io.out(`Strava sandbox listening on ${sandbox.baseUrl}`);
  if (apiBase === 'api-v3') io.out(`API (new base, no /api/v3) on ${sandbox.apiUrl}`);
  const program = Object.entries(sandbox.getProgram()).filter(([, v]) => v !== false && v !== null);
  if (program.length > 0)
    io.out(`Developer program: ${program.map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(', ')}`);
  io.out(`Seeded accounts: ${athletes.join(', ') || '(none)'}`);
  io.out('Point Trainlytics at it with:');
  for (const [key, value] of Object.entries(sandbox.env())) io.out(`  export ${key}=${value}`);
  for (const line of sandboxControlHelp(sandbox.baseUrl, athletes[0] ?? '<account id>')) io.out(line);
  if (io.handleSignals !== false) {
    const stop = () => {
      sandbox.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  return sandbox;
}
