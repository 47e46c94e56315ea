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

/**
 * One repeatable definition found on disk: `definitions/NN_concern.sql` (functions, views: the bodies in force,
 * every statement safe to run again). `migrate up` re-applies it whenever its checksum differs from the one
 * recorded; ADR 0038.
 */
export interface DefinitionFile {
  /** `05_commit_page.sql`: the file name is the definition's identity and its place in the order. */
  file: string;
  /** Absolute path. */
  path: string;
  /** sha256 (hex) of the file's bytes. */
  checksum: string;
}

const DEFINITION_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

/** The folder of the definitions below `dir` (default {@link migrationsDir}). */
export function definitionsDir(dir: string = migrationsDir): string {
  return path.join(dir, 'definitions');
}

/**
 * The definitions in `definitions/` below `dir`, in the documented order: by the numeric prefix, then by name.
 * No folder: none. Two files with one prefix are refused (the order would depend on their names).
 */
export async function listDefinitions(dir: string = migrationsDir): Promise<DefinitionFile[]> {
  const folder = definitionsDir(dir);
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
  const found: { number: number; file: string; path: string; checksum: string }[] = [];
  for (const entry of entries) {
    const match = DEFINITION_FILE.exec(entry);
    if (!match) continue;
    const file = path.join(folder, entry);
    found.push({ number: Number(match[1]), file: entry, path: file, checksum: sha256(await readFile(file)) });
  }
  found.sort((a, b) => a.number - b.number || a.file.localeCompare(b.file));
  for (let i = 1; i < found.length; i++) {
    if (found[i]!.number === found[i - 1]!.number) {
      throw new Error(
        `Two definitions share position ${found[i]!.number}: ${found[i - 1]!.file} and ${found[i]!.file}. Renumber one of them.`,
      );
    }
  }
  return found.map(({ file, path, checksum }) => ({ file, path, checksum }));
}

/**
 * Every definition file, in order, as one script: what to paste into the Supabase SQL editor (or `psql -f`)
 * after the numbered migrations. Each file keeps its own `begin;` … `commit;`.
 */
export async function definitionsSql(dir: string = migrationsDir): Promise<string> {
  const parts: string[] = [];
  for (const definition of await listDefinitions(dir)) {
    parts.push(`-- ===== definitions/${definition.file} =====\n${await readFile(definition.path, 'utf8')}`);
  }
  return parts.join('\n');
}
