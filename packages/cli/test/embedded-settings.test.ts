import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMBEDDED_PGLITE_SETTINGS } from '@trainlytics/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/database';

// ADR 0026: the embedded database runs with small memory and WAL settings, on disk and in memory alike
// (stock PGlite keeps shared_buffers = 128MB and max_wal_size = 1GB).

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'trainlytics-embedded-settings-'));
});
afterAll(() => rm(cwd, { recursive: true, force: true }));

describe.each([
  ['on disk (./.trainlytics/db)', false],
  ['in memory (--memory)', true],
])('the embedded PGlite database %s', (_label, memory) => {
  it('runs with the embedded settings', async () => {
    const database = await openDatabase({ env: {}, cwd, memory });
    try {
      expect(database.kind).toBe('pglite');
      const names = Object.keys(EMBEDDED_PGLITE_SETTINGS);
      expect(names).toEqual(expect.arrayContaining(['shared_buffers', 'max_wal_size']));
      const { rows } = await database.db.query<{ name: string; setting: string }>(
        'select name, current_setting(name) as setting from unnest($1::text[]) as name',
        [names],
      );
      expect(Object.fromEntries(rows.map((r) => [r.name, r.setting]))).toEqual(EMBEDDED_PGLITE_SETTINGS);
    } finally {
      await database.close();
    }
  });
});
