import { createHash } from 'node:crypto';

/** A file as `@trainlytics/migrations` lists it: its name and the sha256 of its content. */
export interface KeyedFile {
  file: string;
  checksum: string;
}

/** What the key reads from `@trainlytics/migrations` (a version without `listDefinitions` has no definitions). */
export interface MigrationFileLister {
  listMigrations(): Promise<readonly KeyedFile[]>;
  listDefinitions?(): Promise<readonly KeyedFile[]>;
}

/**
 * The `<key>` of the cached test databases (`tl_tpl_<key>`, the migrated PGlite image; see `databases.ts`): sha256
 * of every migration file's and every repeatable definition's name and checksum (ADR 0038), so it changes
 * whenever either does and an edited function body never runs from a stale copy. Not part of the test kit's
 * entry: `databases.ts` uses it and test/unit/test-database-key.test.ts checks it.
 */
export async function testDatabaseKey(migrations: MigrationFileLister): Promise<string> {
  const files = await migrations.listMigrations();
  const definitions = (await migrations.listDefinitions?.()) ?? [];
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.file}:${f.checksum}\n`);
  for (const f of definitions) hash.update(`definitions/${f.file}:${f.checksum}\n`);
  return hash.digest('hex').slice(0, 16);
}
