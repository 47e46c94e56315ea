import { Command, CommanderError } from 'commander';
import { type CliIO, processIO } from './cli-io';
import { registerConnectionsCommand } from './commands/connections-command';
import { registerDedupeCommand } from './commands/dedupe-command';
import { registerDemoCommand } from './commands/demo-command';
import { registerDetailCommand } from './commands/detail-command';
import { registerMigrateCommand } from './commands/migrate-command';
import { registerServeCommand } from './commands/serve-command';
import { registerSyncCommand } from './commands/sync-command';
import { describeError } from './user-error';
import { VERSION } from './version';
import { registerWorkerCommand } from './worker';

/** Commander's codes for a command line that is wrong (exit 2, like every other usage error of the CLI). */
const USAGE_ERRORS = new Set([
  'commander.unknownCommand',
  'commander.unknownOption',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
]);

/** Builds the `trainlytics` program; `setExitCode` records what the command's outcome should exit with. */
export function createProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command('trainlytics')
    .description(
      'Trainlytics: connect Strava, Garmin and Polar accounts and sync activities into your own PostgreSQL database.',
    )
    .version(VERSION, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerMigrateCommand(program, io, setExitCode);
  registerConnectionsCommand(program, io);
  registerSyncCommand(program, io, setExitCode);
  registerDetailCommand(program, io, setExitCode);
  registerDedupeCommand(program, io);
  registerServeCommand(program, io, setExitCode);
  registerDemoCommand(program, io, setExitCode);
  registerWorkerCommand(program, { io, setExitCode });
  // Every subcommand reports usage errors through the override too (no process.exit inside commander).
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, args…) and resolves to the exit code. A user
 * error prints one line on stderr; nothing here ever prints a stack trace unless `TRAINLYTICS_DEBUG` is set.
 */
export async function run(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its one-line message (or the help / version); a usage error exits 2
      return error.exitCode !== 0 && USAGE_ERRORS.has(error.code) ? 2 : error.exitCode;
    }
    io.stderr.write(`trainlytics: ${describeError(error, io.env)}\n`);
    return (error as { exitCode?: number }).exitCode ?? 1;
  }
}
