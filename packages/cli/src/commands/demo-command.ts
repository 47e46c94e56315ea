import type { Command } from 'commander';
import type { CliIO } from '../cli-io';
import { parsePositiveInt } from '../format';
import { assertCompleteCredentials } from '../providers-from-env';
import { waitForShutdown } from '../shutdown-signal';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';

interface DemoFlags extends DatabaseFlag {
  headless?: boolean;
  serve?: boolean;
  port?: string;
  activities?: string;
  json?: boolean;
}

/** `trainlytics demo [--headless]`: everything end to end on this machine. */
export function registerDemoCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  withDatabaseOption(
    program
      .command('demo')
      .description(
        'run the whole flow locally: database, migrations, provider sandboxes, the host app; headless it connects, syncs, receives a webhook and prints a summary',
      )
      .option('--headless', 'drive the flow and exit (the default when stdout is not a terminal)')
      .option('--serve', 'keep serving the dashboard after setup even when stdout is not a terminal')
      .option('-p, --port <n>', 'port of the host app (default: 3000 on a terminal, a free one headless)')
      .option('--activities <n>', 'activities in each seeded sandbox account', '300')
      .option('--json', 'headless: print the summary as one JSON object'),
  ).action(async (flags: DemoFlags) => {
    const headless = Boolean(flags.headless) || Boolean(flags.json) || (!io.stdout.isTTY && !flags.serve);
    const port =
      flags.port === undefined
        ? headless
          ? 0
          : 3000
        : flags.port === '0'
          ? 0
          : parsePositiveInt(flags.port, '--port');
    assertCompleteCredentials(io.env); // before the database is opened: a half-set provider is a typo
    // Loaded on demand: the sandboxes and the demo flow are not needed by the other commands.
    const { runDemo } = await import('../demo/run-demo');
    setExitCode(
      await runDemo({
        io,
        databaseUrl: flags.databaseUrl,
        headless,
        port,
        activityCount: parsePositiveInt(flags.activities ?? '300', '--activities'),
        json: Boolean(flags.json),
        waitForShutdown,
      }),
    );
  });
}
