import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the SQL files, resolved relative to this module: `src/`
 * (tests, the `@trainlytics/source` condition) and `dist/` (ESM and CJS; tsup's
 * shims provide `import.meta.url` in CJS) are both siblings of `sql/`.
 */
export const migrationsDir: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../sql');

/** One migration found on disk: `NNN_name.sql` plus an optional `NNN_name.down.sql`. */
export interface MigrationFile {
  /** `001`, `002`, … (the numeric prefix, as written). */
  version: string;
  /** `legacy`, `multi_provider`, … */
  name: string;
  /** `002_multi_provider.sql` */
  file: string;
  /** Absolute path of the up file. */
  path: string;
  /** Absolute path of the down file, when there is one. */
  downPath: string | null;
  /** sha256 (hex) of the up file's bytes. */
  checksum: string;
}

const UP_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The migrations in `dir` (default {@link migrationsDir}), ordered by version. */
export async function listMigrations(dir: string = migrationsDir): Promise<MigrationFile[]> {
  const entries = await readdir(dir);
  const names = new Set(entries);
  const migrations: MigrationFile[] = [];
  for (const entry of entries) {
    const match = UP_FILE.exec(entry);
    if (!match || entry.endsWith('.down.sql')) continue;
    const [, version, name] = match as unknown as [string, string, string];
    const downFile = `${version}_${name}.down.sql`;
    const content = await readFile(path.join(dir, entry));
    migrations.push({
      version,
      name,
      file: entry,
      path: path.join(dir, entry),
      downPath: names.has(downFile) ? path.join(dir, downFile) : null,
      checksum: sha256(content),
    });
  }
  migrations.sort((a, b) => Number(a.version) - Number(b.version) || a.version.localeCompare(b.version));
  for (let i = 1; i < migrations.length; i++) {
    if (Number(migrations[i]!.version) === Number(migrations[i - 1]!.version)) {
      throw new Error(
        `Two migrations share version ${migrations[i]!.version}: ${migrations[i - 1]!.file} and ${migrations[i]!.file}. Renumber one of them.`,
      );
    }
  }
  return migrations;
}

const LEADING = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*begin(?:\s+(?:transaction|work))?\s*;/i;
const TRAILING = /(?:commit|end)(?:\s+(?:transaction|work))?\s*;(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*$/i;

/**
 * A migration file's statements without its own `begin;` … `commit;` wrapper,
 * so the runner can run them in its transaction together with its bookkeeping.
 * `wrapped` is false when the file does not have that shape (it then runs as is).
 */
export function unwrapTransaction(sql: string): { body: string; wrapped: boolean } {
  const leading = LEADING.exec(sql);
  const trailing = TRAILING.exec(sql);
  if (!leading || !trailing || trailing.index < leading[0].length) return { body: sql, wrapped: false };
  return { body: sql.slice(leading[0].length, trailing.index), wrapped: true };
}
