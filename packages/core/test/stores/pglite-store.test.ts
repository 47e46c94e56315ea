import type { PGlite } from '@electric-sql/pglite';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite, resetDatabase, runStoreConformanceSuite } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';

runStoreConformanceSuite({
  name: 'postgres (PGlite, embedded)',
  createStore: async () => {
    const pglite: PGlite = await createTestPGlite({ migrate: true });
    return {
      store: postgresStore({ pglite }),
      db: pglite,
      reset: () => resetDatabase(pglite),
      close: () => pglite.close(),
    };
  },
});

describe('postgresStore on PGlite', () => {
  it("reports kind 'pglite' for a bare instance and points at the migrations when 003 is missing", async () => {
    const pglite = await createTestPGlite();
    try {
      const store = postgresStore(pglite);
      expect(store.kind).toBe('pglite');
      const error = await store.getConnection(1).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ConfigurationError' });
      expect((error as { hint: string }).hint).toMatch(/npx @trainlytics\/cli migrate up/);
    } finally {
      await pglite.close();
    }
  });
});
