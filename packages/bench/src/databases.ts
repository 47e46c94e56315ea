import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '@trainlytics/cli';
import { createTestDatabase, createTestPGlite, type TestDatabase } from '@trainlytics/core/testing';
import type { Pool } from 'pg';
import type { BenchDatabaseKind } from './scenario-result';

export interface BenchDatabase {
  kind: BenchDatabaseKind;
  /** What the store and the baseline query through. */
  target: Pool | PGlite;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** A fresh migrated database: real PostgreSQL (`tl_bench_<random>`, dropped afterwards) or PGlite. */
export async function openBenchDatabase(kind: BenchDatabaseKind): Promise<BenchDatabase> {
  if (kind === 'pglite-stock') {
    const db = await createTestPGlite({ migrate: true });
    return {
      kind,
      target: db,
      query: (text, values) => db.query(text, values) as never,
      close: () => db.close(),
    };
  }
  if (kind === 'pglite') {
    // as a user runs it: `trainlytics migrate up` creates the folder in its own process, then the command
    // that syncs opens the existing database (creating one runs initdb in a second WASM instance: ADR 0026)
    const cwd = await mkdtemp(path.join(tmpdir(), 'tl-bench-'));
    const cli = path.join(
      path.dirname(require.resolve('@trainlytics/cli/package.json')),
      'bin',
      'trainlytics.mjs',
    );
    await promisify(execFile)(process.execPath, [cli, 'migrate', 'up'], {
      cwd,
      env: { ...process.env, DATABASE_URL: '' },
    });
    const opened = await openDatabase({ env: {}, cwd });
    const db = opened.pglite!;
    return {
      kind,
      target: db,
      query: (text, values) => db.query(text, values) as never,
      async close() {
        await opened.close();
        await rm(cwd, { recursive: true, force: true });
      },
    };
  }
  const db: TestDatabase = await createTestDatabase({ migrate: true, prefix: 'tl_bench' });
  return {
    kind,
    target: db.pool,
    query: (text, values) => db.pool.query(text, values),
    close: () => db.drop(),
  };
}
