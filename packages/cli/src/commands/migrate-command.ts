import { Command, type ErrorOptions } from 'commander';
import type { CliIO } from '../cli-io';
import { type MigrateFlags, type MigrateSubcommand, runMigrate } from '../migrate/run-migrate';

const SUBCOMMANDS: readonly [MigrateSubcommand, string][] = [
  ['up', 'apply pending migrations (001 legacy schema, 002 multi-provider, …)'],
  ['down', 'revert the most recently applied migration (or down to --to)'],
  ['status', 'list migrations and whether each is applied'],
  ['verify', 'run the post-migration checks; exits non-zero when one fails'],
  ['drop-legacy', 'drop strava_connections once every row is in provider_connections'],
];

/**
 * `trainlytics migrate` and its subcommands. Its usage errors keep the words `migrate` has always printed
 * (`trainlytics migrate: Unknown option --bogus`, `--database-url needs a value`, `unknown command "x"`),
 * followed by its help, and exit 2; commander's own wording is translated here, from the error's code.
 */
class MigrateCommand extends Command {
  override createCommand(name?: string): Command {
    return new MigrateCommand(name);
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    const line = `trainlytics migrate: ${reword(this, message, errorOptions?.code)}`;
    return super.error(line, { code: errorOptions?.code ?? 'trainlytics.migrate.usage', exitCode: 2 });
  }
}

/** The old parser's words for commander's usage errors (the contract of `migrate`'s tests and scripts). */
function reword(command: Command, message: string, code: string | undefined): string {
  const quoted = /'([^']*)'/.exec(message)?.[1];
  switch (code) {
    case 'commander.unknownOption':
      return `Unknown option ${quoted ?? ''}`.trim();
    case 'commander.optionMissingArgument':
      return `${quoted?.split(/[ ,]+/).find((flag) => flag.startsWith('--')) ?? quoted} needs a value`;
    case 'commander.excessArguments':
      return `Unexpected argument "${command.args[command.registeredArguments.length] ?? ''}"`;
    default:
      return message.replace(/^error: /, '');
  }
}

/**
 * Builds `trainlytics migrate up | down | status | verify | drop-legacy`. The options belong to `migrate` and
 * are accepted before or after the subcommand (`migrate --json status`, `migrate status --json`), as before.
 */
export function createMigrateCommand(
  parent: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): Command {
  const migrateCommand = new MigrateCommand('migrate');
  migrateCommand
    .copyInheritedSettings(parent)
    .description(
      'apply, revert, inspect or verify the database schema (up | down | status | verify | drop-legacy)',
    )
    .usage('<command> [options]')
    .helpCommand(false)
    .option(
      '--database-url <url>',
      'PostgreSQL connection string (default: $DATABASE_URL, else an embedded PGlite database in ./.trainlytics/db)',
    )
    .option(
      '--to <version>',
      'target version, exactly as listed by status (001, 002, 002_multi_provider; 0 for none)',
    )
    .option('--force', 'down: revert even what would lose data (it is listed first)')
    .option('-y, --yes', 'down: do not ask (required when stdin is not a terminal)')
    .option('--json', 'print JSON (status, verify, up, down)')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError(true)
    // `migrate` alone or `migrate <not a subcommand>`: a usage error in the old words
    .argument('[command]')
    .action((name: string | undefined) => {
      migrateCommand.error(name === undefined ? 'missing command' : `unknown command "${name}"`);
    });
  for (const [name, description] of SUBCOMMANDS) {
    migrateCommand
      .command(name)
      .description(description)
      .helpOption('-h, --help', 'show this help')
      .configureHelp({ showGlobalOptions: true })
      .action(async () => {
        setExitCode(await runMigrate(name, migrateCommand.opts<MigrateFlags>(), io));
      });
  }
  return migrateCommand;
}

export function registerMigrateCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  program.addCommand(createMigrateCommand(program, io, setExitCode));
}
