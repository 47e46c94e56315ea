import { parseArgs } from 'node:util';
import { startStravaSandbox } from './strava-sandbox';

const usage = `Usage: trainlytics-sandbox-strava [strava] [--port N] [--host H] [--athletes N] [--activities N] [--seed N]
         [--rate-limit N] [--daily-limit N]

Starts a local Strava API sandbox and prints the environment variables that point Trainlytics at it.`;

/**
 * The sandbox CLI (`npx trainlytics-sandbox-strava --port 4010`). Runs until SIGINT/SIGTERM.
 * Returns the started sandbox so callers (the demo) can drive it.
 */
export async function runSandboxCli(
  argv: string[],
  io: { out: (line: string) => void; handleSignals?: boolean } = {
    out: (line) => process.stdout.write(`${line}\n`),
  },
) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      athletes: { type: 'string', default: '2' },
      activities: { type: 'string', default: '250' },
      seed: { type: 'string', default: '1' },
      'rate-limit': { type: 'string' },
      'daily-limit': { type: 'string' },
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
  const rateLimit = values['rate-limit']
    ? {
        limit: int('rate-limit', values['rate-limit']),
        ...(values['daily-limit'] ? { dailyLimit: int('daily-limit', values['daily-limit']) } : {}),
      }
    : undefined;
  const sandbox = await startStravaSandbox({
    port: int('port', values.port),
    host: values.host,
    ...(rateLimit ? { rateLimit } : {}),
  });
  const seed = int('seed', values.seed);
  const athletes: string[] = [];
  for (let i = 0; i < int('athletes', values.athletes); i++) {
    const { providerUserId } = await sandbox.seedAthlete({
      activityCount: int('activities', values.activities),
      seed: seed + i,
    });
    athletes.push(providerUserId);
  }
  io.out(`Strava sandbox listening on ${sandbox.baseUrl}`);
  io.out(`Seeded athletes: ${athletes.join(', ') || '(none)'}`);
  io.out('Point Trainlytics at it with:');
  for (const [key, value] of Object.entries(sandbox.env())) io.out(`  export ${key}=${value}`);
  if (io.handleSignals !== false) {
    const stop = () => {
      sandbox.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  return sandbox;
}
