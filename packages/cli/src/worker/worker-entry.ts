import { Command } from 'commander';
import { processIO } from '../cli-io';
import { describeError } from '../user-error';
import { registerWorkerCommand } from './worker-command';

/**
 * Runs `trainlytics worker` on its own (`node --import tsx --conditions=@trainlytics/source
 * packages/cli/src/worker/worker-entry.ts worker --json`), for the multi-process tests and until the
 * command is registered in the main program.
 */
const io = processIO();
const program = new Command('trainlytics').exitOverride();
let exitCode = 0;
registerWorkerCommand(program, {
  io,
  setExitCode: (code) => {
    exitCode = code;
  },
});
program
  .parseAsync(process.argv)
  .then(() => process.exit(exitCode))
  .catch((error: unknown) => {
    io.stderr.write(`trainlytics: ${describeError(error, io.env)}\n`);
    process.exit(1);
  });
