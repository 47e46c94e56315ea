import type { Store } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, createTestPGlite, resetDatabase } from '@trainlytics/core/testing';

export type Row = Record<string, unknown>;

/** A migrated database: its store, and raw SQL to check what really landed. */
export interface EndToEndDatabase {
  store: Store;
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** The real PostgreSQL server (a fresh database named with `prefix`) and an embedded PGlite, both migrated. */
export function endToEndDatabases(
  prefix: string,
): Array<{ name: string; open: () => Promise<EndToEndDatabase> }> {
  return [
    {
      name: 'PostgreSQL',
      open: async () => {
        const db = await createTestDatabase({ migrate: true, prefix });
        return {
          store: postgresStore({ pool: db.pool }),
          query: async (sql, params = []) => (await db.pool.query(sql, params)).rows as Row[],
          reset: () => resetDatabase(db.pool),
          close: () => db.drop(),
        };
      },
    },
    {
      name: 'PGlite',
      open: async () => {
        const db = await createTestPGlite({ migrate: true });
        return {
          store: postgresStore(db),
          query: async (sql, params = []) => (await db.query<Row>(sql, params)).rows,
          reset: () => resetDatabase(db),
          close: () => db.close(),
        };
      },
    },
  ];
}
