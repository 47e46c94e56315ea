import type { PGlite } from '@electric-sql/pglite';
import { createTestDatabase, createTestPGlite, type TestDatabase } from '@trainlytics/core/testing';
import pg, { type Pool } from 'pg';
import { type ProxyProcess, spawnLatencyProxy } from './latency-proxy-process';

export interface BenchDatabase {
  kind: 'postgres' | 'pglite';
  /** What the store and the baseline query through. */
  target: Pool | PGlite;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
  /** The latency proxy (its own process) every query goes through, when a round-trip time was asked for. */
  proxy?: ProxyProcess;
}

/**
 * A fresh migrated database: real PostgreSQL (`tl_bench_<random>`, dropped afterwards) or PGlite in memory.
 * With `rttMs` (PostgreSQL only) the database is migrated directly, then every query of `target` and
 * `query` goes through a latency proxy, in a process of its own, that adds that round-trip time (see
 * `latency-proxy.ts`).
 */
export async function openBenchDatabase(
  kind: 'postgres' | 'pglite',
  options: { rttMs?: number } = {},
): Promise<BenchDatabase> {
  if (options.rttMs !== undefined) {
    if (kind !== 'postgres') throw new Error('A round-trip time can only be added to PostgreSQL');
    return openBehindProxy(options.rttMs);
  }
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

async function openBehindProxy(rttMs: number): Promise<BenchDatabase> {
  const db = await createTestDatabase({ migrate: true, prefix: 'tl_bench' });
  const url = new URL(db.connectionString);
  const proxy = await spawnLatencyProxy({ host: url.hostname, port: Number(url.port || 5432) }, rttMs);
  url.hostname = proxy.host;
  url.port = String(proxy.port);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 5 });
  return {
    kind: 'postgres',
    target: pool,
    proxy,
    query: (text, values) => pool.query(text, values),
    async close() {
      await pool.end();
      await proxy.close();
      await db.drop();
    },
  };
}
