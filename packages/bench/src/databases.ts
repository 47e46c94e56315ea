import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '@trainlytics/cli';
import {
  applyMigrations,
  createTestDatabase,
  createTestPGlite,
  type TestDatabase,
} from '@trainlytics/core/testing';
import type { Pool } from 'pg';
import type { BenchDatabaseKind } from './scenario-result';

export interface BenchDatabase {
  kind: BenchDatabaseKind;
  /** What the store and the baseline query through. */
  target: Pool | PGlite;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
}

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
    const cwd = await mkdtemp(path.join(tmpdir(), 'tl-bench-'));
    const opened = await openDatabase({ env: {}, cwd });
    const db = opened.pglite!;
    await applyMigrations(db);
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
