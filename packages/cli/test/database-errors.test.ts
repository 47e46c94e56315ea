import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli';

// `migrate` said why PostgreSQL could not be reached in words; the other commands printed the bare code
// (`3D000`, `28000`, `ERR_INVALID_URL`). Every command now uses the runner's one translation.

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-db-errors-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

const missingDatabase = `tl_nowhere_${process.pid}`;
const CASES: [string, string, RegExp][] = [
  [
    'a database that does not exist',
    `postgres://postgres@127.0.0.1:5432/${missingDatabase}`,
    new RegExp(
      `database "${missingDatabase}" does not exist \\(create it, or fix the database name in the URL\\)`,
    ),
  ],
  [
    'a role that does not exist',
    'postgres://tl_nobody_here@127.0.0.1:5432/postgres',
    /role "tl_nobody_here" does not exist \(check the user name in the database URL\)/,
  ],
  [
    'a URL node-postgres cannot parse',
    'postgres://u@host:99999999/db',
    /not a valid URL: expected postgres:\/\/user:password@host:port\/database/,
  ],
  [
    'nothing listening',
    'postgres://postgres@127.0.0.1:1/x',
    /ECONNREFUSED \(nothing accepts connections there: is PostgreSQL running on that host and port\?\)/,
  ],
];

describe.each(CASES)('%s', (_what, url, words) => {
  it.each([
    ['migrate', 'up'],
    ['connections', 'list'],
    ['sync', '--all'],
    ['sync', '--all', '--json'],
  ])('%s %s: one line in words, never a bare code', async (...args) => {
    const run = await runCli([...args, '--database-url', url], { cwd });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(words);
    expect(lines[0]).not.toMatch(/: (3D000|28000|28P01|ERR_INVALID_URL)$/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
