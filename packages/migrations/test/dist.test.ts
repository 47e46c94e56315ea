import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { listMigrations, migrationsDir } from '../src/index.js';

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, '..');
const dist = (file: string) => path.join(packageDir, 'dist', file);

// The published builds find sql/ next to dist/ and load pg lazily. (turbo builds before testing.)
describe.each([
  ['ESM', 'index.js', ['--input-type=module', '-e']],
  ['CJS', 'index.cjs', ['--input-type=commonjs', '-e']],
] as const)('the %s build', (_format, file, flags) => {
  it('locates sql/ and talks to PostgreSQL', async () => {
    expect(existsSync(dist(file)), 'dist/ is missing: run `npm run build -w @trainlytics/migrations`').toBe(
      true,
    );
    const load =
      file === 'index.js'
        ? `const m = await import(${JSON.stringify(dist(file))});`
        : `const m = require(${JSON.stringify(dist(file))});`;
    const script = `${file === 'index.js' ? '' : '(async () => {'}
      ${load}
      const files = (await m.listMigrations()).map((x) => x.file);
      let error;
      try { await m.status('postgres://postgres@127.0.0.1:1/none'); } catch (e) { error = e.name + ': ' + e.message; }
      const ok = await m.status('postgres://postgres@127.0.0.1:5432/postgres');
      console.log(JSON.stringify({ dir: m.migrationsDir, files, error, states: ok.length }));
    ${file === 'index.js' ? '' : '})();'}`;
    const { stdout } = await run(process.execPath, [...flags, script], { cwd: packageDir });
    const result = JSON.parse(stdout);
    const files = (await listMigrations()).map((m) => m.file);
    expect(result).toEqual({
      dir: migrationsDir,
      files,
      error: expect.stringMatching(
        /^MigrationConnectionError: Could not connect to PostgreSQL at 127\.0\.0\.1:1: /,
      ),
      states: files.length,
    });
  });
});
