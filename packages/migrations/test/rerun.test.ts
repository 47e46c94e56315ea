import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir } from '../src/index.js';
import { kinds, seedLegacy, snapshot, useTestDatabase } from './helpers.js';
import { ensureSupabaseRoles, SUPABASE_DEFAULT_PRIVILEGES } from './supabase.js';

/** Every file in sql/, whatever its name: the up files in version order, the down files in reverse. */
async function sqlFiles(): Promise<{ up: string[]; down: string[] }> {
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql'));
  const version = (file: string) => Number(/^(\d+)/.exec(file)?.[1] ?? Number.NaN);
  const byVersion = (a: string, b: string) => version(a) - version(b);
  const up = files.filter((f) => !f.endsWith('.down.sql')).sort(byVersion);
  const down = files
    .filter((f) => f.endsWith('.down.sql'))
    .sort(byVersion)
    .reverse();
  expect(up.length + down.length).toBe(files.length);
  expect(files.every((f) => Number.isInteger(version(f)))).toBe(true);
  return { up, down };
}

/**
 * Each file pasted twice in a row, as a Supabase SQL editor user would (its own begin/commit, no runner): the
 * second run raises nothing and changes nothing — no row, privilege, policy, function or sequence.
 */
describe.each(kinds)('every migration file runs twice in a row, on %s', (kind) => {
  const t = useTestDatabase(kind);
  // On PostgreSQL with Supabase's roles and default privileges (the branches for them run); PGlite has none.
  beforeAll(async () => {
    if (kind === 'postgres') await ensureSupabaseRoles();
  });

  it('up files, then down files, each executed twice: the second run is a no-op', async () => {
    if (kind === 'postgres') await t.db.exec(SUPABASE_DEFAULT_PRIVILEGES);
    const { up, down } = await sqlFiles();
    const ran: string[] = [];
    const twice = async (file: string) => {
      const sql = await readFile(path.join(migrationsDir, file), 'utf8');
      await t.db.exec(sql);
      const once = await snapshot(t.db);
      await expect(
        t.db.exec(sql).then(() => 'ok'),
        `${file} run again`,
      ).resolves.toBe('ok');
      expect(await snapshot(t.db), `${file} run again changed the database`).toEqual(once);
      ran.push(file);
    };

    for (const [i, file] of up.entries()) {
      await twice(file);
      // Legacy data after the legacy schema, so that every data step of the later files has rows to move.
      if (i === 0) await seedLegacy(t.db);
    }
    for (const file of down) await twice(file);
    expect(ran).toEqual([...up, ...down]);
    // every file up and down, twice, with a snapshot after each: on PGlite on a loaded 2-core machine this
    // passed 30 s once 017 was added (77 s measured at a load average of 20)
  }, 180_000);
});
