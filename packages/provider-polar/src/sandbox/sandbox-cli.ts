import { parseArgs } from 'node:util';
import { startPolarSandbox } from './polar-sandbox';

const usage = `Usage: trainlytics-sandbox-polar [--port N] [--accounts N] [--activities N] [--seed N]

Starts a Polar AccessLink sandbox on 127.0.0.1 and prints the variables that point the plugin at it.`;

/** `npx trainlytics-sandbox-polar --port 4003`: runs until interrupted. */
export async function runSandboxCli(
  argv: string[],
  io: { log: (line: string) => void } = { log: (line) => process.stdout.write(`${line}\n`) },
): Promise<{ close(): Promise<void> }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      accounts: { type: 'string', default: '1' },
      activities: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
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
  const sandbox = await startPolarSandbox({ port: int('port', values.port), seed: int('seed', values.seed) });
  const accounts: string[] = [];
  for (let i = 0; i < int('accounts', values.accounts); i++) {
    const { providerUserId } = await sandbox.seedAccount({
      activityCount: int('activities', values.activities),
    });
    accounts.push(providerUserId);
  }
  io.log(`Polar sandbox listening on ${sandbox.baseUrl}`);
  io.log(`Seeded Polar user ids: ${accounts.join(', ') || '(none)'}`);
  io.log('Point the plugin at it with:');
  for (const [key, value] of Object.entries(sandbox.env())) io.log(`export ${key}=${value}`);
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return sandbox;
}
