import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCI, isInteractive } from '../src/cli-io';
import { createProgressBoard } from '../src/progress';
import { runCli } from './helpers/run-cli';

// Every usage error exits 2 with one line (commander's own errors exited 1 while the CLI's exited 2), and
// `CI=1` switches off progress bars and live output like `CI=true`.

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-usage-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe('usage errors exit 2 with one line', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['connections', 'frobnicate'], /unknown command 'frobnicate'/],
    [['connections', 'list', '--bogus'], /unknown option '--bogus'/],
    [['sync', '--bogus'], /unknown option '--bogus'/],
    [['serve', '--port'], /option '-p, --port <n>' argument missing/],
    [['sync', '1', '2'], /too many arguments/],
    [['sync', 'abc'], /connection id must be a positive integer/],
    [['sync', '0'], /connection id must be a positive integer/],
    [['connections', 'list', '--user', 'x'], /--user must be a positive integer/],
    [['migrate', 'frobnicate'], /unknown command "frobnicate"/],
    [['migrate', 'up', '--bogus'], /Unknown option --bogus/],
  ])('trainlytics %j', async (args, says) => {
    const run = await runCli(args, { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(says);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('help and version still exit 0', async () => {
    for (const args of [['--help'], ['--version'], ['sync', '--help']]) {
      expect((await runCli(args, { cwd })).code).toBe(0);
    }
  });
});

describe('CI', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['yes', true],
    ['woodpecker', true],
    ['', false],
    ['0', false],
    ['false', false],
    [undefined, false],
  ])('CI=%j counts as CI: %s', (value, expected) => {
    const env = value === undefined ? {} : { CI: value };
    expect(isCI(env)).toBe(expected);
    const tty = { write: () => true, isTTY: true };
    const io = { stdout: tty, stderr: tty, env, cwd };
    expect(isInteractive(io)).toBe(!expected);
    const board = createProgressBoard(io);
    expect(board.enabled).toBe(!expected);
    board.stop();
  });
});
