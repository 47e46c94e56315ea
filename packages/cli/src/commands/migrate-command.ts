import { runMigrateCommand } from '@trainlytics/migrations';
import type { Command } from 'commander';
import type { CliIO } from '../cli-io';

/**
 * `trainlytics migrate up|down|status|verify|drop-legacy`: delegated, arguments and all, to the migration
 * runner's own command (`runMigrateCommand` of `@trainlytics/migrations`), which owns its options and help.
 */
export function registerMigrateCommand(
  program: Command,
  io: CliIO,
  setExitCode: (code: number) => void,
): void {
  program
    .command('migrate')
    .description(
      'apply, revert, inspect or verify the database schema (up | down | status | verify | drop-legacy)',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'the migrate subcommand and its options (see `trainlytics migrate --help`)')
    .action(async (args: string[]) => {
      setExitCode(
        await runMigrateCommand(args, { stdout: io.stdout, stderr: io.stderr, env: io.env, cwd: io.cwd }),
      );
    });
}
