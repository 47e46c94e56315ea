import { type CliIO, processIO } from '../cli-io';
import { run } from '../program';

/**
 * `trainlytics migrate <argv…>` in this process (a leading `migrate` is optional), parsed by the same commander
 * program as the binary; resolves to the exit code. It replaces `runMigrateCommand` of
 * `@trainlytics/migrations` (ADR 0042), with the same arguments, output and exit codes.
 */
export function runMigrateCommand(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const args = argv[0] === 'migrate' ? argv.slice(1) : argv;
  return run(['node', 'trainlytics', 'migrate', ...args], io);
}
