import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDefinitions, listMigrations } from '@trainlytics/migrations';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKey } from '../../src/testing/test-database-key';

// The cached test databases (tl_tpl_<key>, the migrated PGlite image) are reused while their key stays the same:
// the key must change with any migration or definition file's content, or a test runs on a stale copy.

let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

/** A migrations folder laid out as `@trainlytics/migrations`' `sql/` (numbered files, `definitions/`). */
function folder(): { write(file: string, content: string): void; key(): Promise<string> } {
  root = mkdtempSync(join(tmpdir(), 'test-database-key-'));
  mkdirSync(join(root, 'definitions'));
  const dir = root;
  return {
    write: (file, content) => writeFileSync(join(dir, file), content),
    // the key as databases.ts computes it, from what the migrations package lists on disk
    key: () =>
      testDatabaseKey({
        listMigrations: () => listMigrations(dir),
        listDefinitions: () => listDefinitions(dir),
      }),
  };
}

const HELPERS = 'create or replace function f() returns int as $$ select 1 $$;\n';

/** Two migrations and two definitions. */
function migrationsFolder() {
  const sql = folder();
  sql.write('001_first.sql', 'create table a (id int);\n');
  sql.write('002_second.sql', 'create table b (id int);\n');
  sql.write('definitions/01_helpers.sql', HELPERS);
  sql.write('definitions/02_views.sql', 'create or replace view v as select 1;\n');
  return sql;
}

describe('the key of the cached test databases', () => {
  it('stays the same while no file changes', async () => {
    const sql = migrationsFolder();
    const key = await sql.key();
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(await sql.key()).toBe(key);
    // written again with the same content
    sql.write('definitions/01_helpers.sql', HELPERS);
    sql.write('001_first.sql', 'create table a (id int);\n');
    expect(await sql.key()).toBe(key);
  });

  it('changes when a definition file changes (an edited function body)', async () => {
    const sql = migrationsFolder();
    const key = await sql.key();
    sql.write('definitions/01_helpers.sql', HELPERS.replace('select 1', 'select 2'));
    expect(await sql.key()).not.toBe(key);
    sql.write('definitions/01_helpers.sql', HELPERS);
    expect(await sql.key()).toBe(key);
    sql.write('definitions/03_more.sql', 'create or replace view w as select 2;\n');
    expect(await sql.key()).not.toBe(key);
  });

  it('changes when a migration changes', async () => {
    const sql = migrationsFolder();
    const key = await sql.key();
    sql.write('002_second.sql', 'create table b (id bigint);\n');
    expect(await sql.key()).not.toBe(key);
    sql.write('002_second.sql', 'create table b (id int);\n');
    expect(await sql.key()).toBe(key);
    sql.write('003_third.sql', 'create table c (id int);\n');
    expect(await sql.key()).not.toBe(key);
  });
});
