import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const entry = path.resolve(here, '../../src/bin-entry.ts');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const bin = path.resolve(here, '../../bin/trainlytics.mjs');

/**
 * How the subprocess runs the CLI: the published binary over `dist` when every package's build is newer than
 * its sources (as under `npm test`, which builds first: 2 s a start instead of 7–10 s through tsx on a loaded
 * 2-core machine), from source through tsx otherwise, so a test never runs a stale build.
 * `TRAINLYTICS_TEST_CLI=source|dist` decides instead.
 */
export const cliArgs: readonly string[] =
  process.env.TRAINLYTICS_TEST_CLI === 'dist' ||
  (process.env.TRAINLYTICS_TEST_CLI !== 'source' && buildIsFresh())
    ? [bin]
    : ['--import', tsxLoader, '--conditions=@trainlytics/source', entry];

function buildIsFresh(): boolean {
  const packages = path.resolve(here, '../../..');
  for (const name of ['cli', 'core', 'migrations', 'provider-strava', 'provider-garmin', 'provider-polar']) {
    let built: number;
    try {
      built = statSync(path.join(packages, name, 'dist/index.js')).mtimeMs;
    } catch {
      return false;
    }
    const dirs = ['src', 'sql'].map((d) => path.join(packages, name, d));
    if (dirs.some((dir) => newestBelow(dir) > built)) return false;
  }
  return true;
}

function newestBelow(dir: string): number {
  let newest = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestBelow(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `trainlytics <args>` as a real subprocess ({@link cliArgs}: the build when it is fresh, else from
 * source). The environment is exactly `env` plus PATH and HOME: nothing leaks in
 * from the test runner's own environment (no stray DATABASE_URL or credentials).
 */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cliArgs, ...args],
      {
        cwd: options.cwd,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A long-running `trainlytics` subprocess (serve, an interactive demo). */
export interface CliProcess {
  child: ChildProcess;
  /** Resolves with the first capture of `pattern` in stdout (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Sends SIGTERM and resolves with the exit code and the whole output. */
  stop(): Promise<CliRun>;
  output(): { stdout: string; stderr: string };
}

export function startCli(args: string[], options: { cwd: string; env?: Record<string, string> }): CliProcess {
  const child = spawn(process.execPath, [...cliArgs, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  child.stdout!.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return {
    child,
    output: () => ({ stdout, stderr }),
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            child.stdout!.off('data', check);
            resolve(match);
          }
        };
        child.stdout!.on('data', check);
        check();
        exited.then(() =>
          reject(new Error(`trainlytics exited before printing ${pattern}: ${stderr || stdout}`)),
        );
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      return { code, stdout, stderr };
    },
  };
}
