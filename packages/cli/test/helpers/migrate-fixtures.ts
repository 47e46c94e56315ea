import { PassThrough } from 'node:stream';
import { type Database, toDatabase } from '@trainlytics/migrations';
import { afterAll, beforeAll } from 'vitest';
import { createDatabase } from '../../../migrations/test/helpers';
import type { CliIO } from '../../src/cli-io';

/** A `CliIO` writing into strings, for `runMigrateCommand` in process; stdin is not a terminal unless given. */
export function capturedIO(
  options: { env?: Record<string, string | undefined>; cwd?: string; stdin?: CliIO['stdin'] } = {},
) {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
      stdin: options.stdin ?? Object.assign(new PassThrough(), { isTTY: false }),
    } satisfies CliIO,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

/** A terminal on which the user types `answer`. */
export function terminal(answer: string): PassThrough & { isTTY: true } {
  const stdin = Object.assign(new PassThrough(), { isTTY: true as const });
  stdin.write(answer);
  return stdin;
}

/** A fresh PostgreSQL database for the file: its `url`, and `db()` for a new adapter on it. */
export function useMigrateDatabase(): { readonly url: string; db(): Database } {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    database = await createDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  return {
    get url() {
      return database.url;
    },
    db: () => toDatabase(database.url),
  };
}
