import type { PGlite } from '@electric-sql/pglite';
import { createTestDatabase, createTestPGlite, type TestDatabase } from '@trainlytics/core/testing';
import type { Pool } from 'pg';

export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** What the store and the baseline query through. */
  target: Pool | PGlite;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
}

/** A fresh migrated database: real PostgreSQL (`tl_bench_<random>`, dropped afterwards) or PGlite in memory. */
export async function openBenchDatabase(kind: 'postgres' | 'pglite'): Promise<BenchDatabase> {
  if (kind === 'pglite') {
    const db = await createTestPGlite({ migrate: true });
    return {
      kind,
      target: db,
      query: (text, values) => db.query(text, values) as never,
      close: () => db.close(),
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
