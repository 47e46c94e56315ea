/** Where a command writes and what it reads: the process in the binary, buffers in tests. */
export interface CliIO {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Base folder of the embedded database `./.trainlytics/db`. */
  cwd: string;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Progress bars and live output only on a terminal, never with `--json`. */
export function isInteractive(io: CliIO, options: { json?: boolean } = {}): boolean {
  return Boolean(io.stdout.isTTY) && !options.json && io.env.CI !== 'true';
}

export function writeLine(stream: CliIO['stdout'], line = ''): void {
  stream.write(`${line}\n`);
}
