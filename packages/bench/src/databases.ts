import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '@trainlytics/cli';
import { createTestDatabase, createTestPGlite, type TestDatabase } from '@trainlytics/core/testing';
import pg, { type Pool } from 'pg';
import { type ProxyProcess, spawnLatencyProxy } from './latency-proxy-process';
import type { BenchDatabaseKind } from './scenario-result';

export interface BenchDatabase {
  kind: BenchDatabaseKind;
  /** What the store and the baseline query through. */
  target: Pool | PGlite;
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  close(): Promise<void>;
  /** The latency proxy (its own process) every query goes through, when a round-trip time was asked for. */
  proxy?: ProxyProcess;
}

const require = createRequire(import.meta.url);

/**
 * A fresh migrated database: real PostgreSQL (`tl_bench_<random>`, dropped afterwards) or PGlite.
 * With `rttMs` (PostgreSQL only) the database is migrated directly, then every query of `target` and
 * `query` goes through a latency proxy, in a process of its own, that adds that round-trip time (see
 * `latency-proxy.ts`).
 */
export async function openBenchDatabase(
  kind: BenchDatabaseKind,
  options: { rttMs?: number } = {},
): Promise<BenchDatabase> {
  if (options.rttMs !== undefined) {
    if (kind !== 'postgres') throw new Error('A round-trip time can only be added to PostgreSQL');
    return openBehindProxy(options.rttMs);
  }
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
