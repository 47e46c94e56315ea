import type { Store } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import type { OpenedDatabase } from './database';

/** The core store over the opened database (the pool or PGlite instance stays owned by the CLI). */
export function storeFromDatabase(database: OpenedDatabase): Store {
  if (database.pool) return postgresStore({ pool: database.pool });
  return postgresStore({ pglite: database.pglite! });
}
