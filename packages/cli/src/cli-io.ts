import type { ConfirmInput } from './migrate/ask-confirmation';

/** Where a command writes and what it reads: the process in the binary, buffers in tests. */
export interface CliIO {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Base folder of the embedded database `./.trainlytics/db`. */
  cwd: string;
  /**
   * Where `migrate down` reads its confirmation (default `process.stdin`). It asks only on a terminal
   * (`isTTY`); otherwise `down` needs `--yes`.
   */
  stdin?: ConfirmInput;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Whether `CI` is set as CI services set it (`true`, `1`, any value but empty, `0` or `false`). */
export function isCI(env: Record<string, string | undefined>): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** Progress bars and live output only on a terminal, never with `--json`, never in CI. */
export function isInteractive(io: CliIO, options: { json?: boolean } = {}): boolean {
  return Boolean(io.stdout.isTTY) && !options.json && !isCI(io.env);
}

export function writeLine(stream: CliIO['stdout'], line = ''): void {
  stream.write(`${line}\n`);
}
