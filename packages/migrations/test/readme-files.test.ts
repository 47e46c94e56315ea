import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDefinitions, listMigrations, migrationsDir, verify } from '../src/index.js';
import { createDatabase } from './helpers.js';

// The README tells people who run the SQL by hand (psql, the Supabase SQL editor) which files to run and in
// what order. The list comes from sql/ here, so a new migration (011, 013, …) fails this test until the
// README names it, and a `.down.sql` or a glob can never creep back in.

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  expect(start, `README section "${title}"`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end === -1 ? undefined : end);
}

const byHand = () => section('psql and the Supabase SQL editor');
const shellBlock = () => /```sh\n([\s\S]*?)```/.exec(byHand())?.[1] ?? '';
const psqlFiles = () => [...shellBlock().matchAll(/-f\s+(\S+)/g)].map((m) => m[1]);
const editorFiles = () => [...byHand().matchAll(/^\d+\.\s+`([^`]+)`/gm)].map((m) => m[1]);

describe('README: the files to run by hand', () => {
  it('psql and the SQL editor list every up file of sql/, in version order, then every definition, and no down file', async () => {
    const ups = (await listMigrations()).map((m) => m.file);
    expect(ups.length).toBeGreaterThanOrEqual(10);
    const definitions = (await listDefinitions()).map((d) => `definitions/${d.file}`);
    expect(definitions.length).toBeGreaterThanOrEqual(10);
    expect(psqlFiles()).toEqual([...ups, ...definitions]);
    expect(editorFiles()).toEqual([...ups, ...definitions]);
    expect(shellBlock()).not.toMatch(/\*|\.down\.sql/);
  });

  it('the file table describes every up file', async () => {
    for (const { file } of await listMigrations()) expect(readme).toContain(`| \`${file}\``);
  });

  it('the definitions table names every definition file', async () => {
    const table = section('Schema and definitions');
    for (const { file } of await listDefinitions()) expect(table).toContain(`| \`${file}\` |`);
  });
});

describe('README: the psql command, run as written on real PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  beforeAll(async () => {
    database = await createDatabase();
  });
  afterAll(() => database?.drop());

  it('builds the schema that verify accepts', async () => {
    const lines = shellBlock().trim().split('\n');
    expect(lines[0]).toBe('cd node_modules/@trainlytics/migrations/sql');
    const command = lines.slice(1).join('\n');
    expect(command).toMatch(/^psql "\$DATABASE_URL" -v ON_ERROR_STOP=1 \\\n/);
    await promisify(execFile)('bash', ['-c', command], {
      cwd: migrationsDir,
      env: { ...process.env, DATABASE_URL: database.url },
    });
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    try {
      const checks = await verify(pool);
      expect(checks.filter((c) => !c.ok)).toEqual([]);
      const { rows } = await pool.query(
        `select count(*)::int as n from pg_proc where proname in ('trainlytics_describe_lease', 'trainlytics_token_forms')`,
      );
      expect(rows[0].n).toBe(2);
    } finally {
      await pool.end();
    }
  });
});
