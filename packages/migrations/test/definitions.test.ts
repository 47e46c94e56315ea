import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFINITIONS_TABLE,
  definitionStatus,
  definitionsSql,
  listDefinitions,
  listMigrations,
  MigrationFailedError,
  migrate,
  migrationsDir,
} from '../src/index.js';
import { type Kind, kinds, snapshot, tempMigrationsDir, useTestDatabase } from './helpers.js';

// Repeatable definitions (ADR 0038): sql/definitions/NN_concern.sql, re-applied by `migrate up` after the
// versioned migrations whenever their checksum differs from the recorded one.

/** A copy of the whole sql/ folder (definitions included), to edit; `definitions: false` leaves them out. */
async function copyOfSql(options: { definitions?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tl-definitions-'));
  await cp(migrationsDir, dir, { recursive: true });
  if (options.definitions === false) await rm(path.join(dir, 'definitions'), { recursive: true });
  return dir;
}

/** The catalog and rows, without the bookkeeping tables (their rows carry times; the definitions table is new). */
async function catalog(db: Parameters<typeof snapshot>[0]): Promise<unknown> {
  const snap = (await snapshot(db)) as Record<string, unknown>;
  const data = { ...(snap.data as Record<string, unknown>) };
  delete data.trainlytics_migrations;
  delete data[DEFINITIONS_TABLE];
  const rest = Object.fromEntries(
    Object.entries(snap)
      .filter(([key]) => key !== 'data')
      .map(([key, rows]) => [
        key,
        (rows as unknown[]).filter((row) => !JSON.stringify(row).includes(DEFINITIONS_TABLE)),
      ]),
  );
  return { data, ...rest };
}

async function recorded(t: { rows: <R>(sql: string) => Promise<R[]> }) {
  return t.rows<{ file: string; checksum: string; applied_at: Date }>(
    `select file, checksum, applied_at from ${DEFINITIONS_TABLE} order by file`,
  );
}

const FIRST = `begin;
create or replace function tl_test_first() returns int language sql as $$ select 1 $$;
commit;
`;
// language sql bodies are checked when created: this file fails unless 9_first.sql ran before it
const SECOND = `begin;
create or replace function tl_test_second() returns int language sql as $$ select tl_test_first() + 1 $$;
commit;
`;

/** 001 + 002 and two definitions, the second depending on the first (9 before 10: numeric, not text, order). */
async function smallDir(): Promise<string> {
  const dir = await tempMigrationsDir();
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(dir, 'definitions'));
  await writeFile(path.join(dir, 'definitions', '10_second.sql'), SECOND);
  await writeFile(path.join(dir, 'definitions', '9_first.sql'), FIRST);
  await writeFile(path.join(dir, 'definitions', 'README.txt'), 'not a definition');
  return dir;
}

describe('definition files', () => {
  it('one per concern, in numeric order, each one transaction of create or replace statements', async () => {
    const definitions = await listDefinitions();
    expect(definitions.length).toBeGreaterThanOrEqual(10);
    expect(definitions.map((d) => d.file)).toContain('05_commit_page.sql');
    for (const { file, path: p } of definitions) {
      const sql = await readFile(p, 'utf8');
      expect(sql, file).toMatch(/^begin;$/m);
      expect(sql.trimEnd(), file).toMatch(/commit;$/);
      // a plain `create function` / `create view` fails the second time: every statement must be repeatable
      expect(sql, file).not.toMatch(/^create (function|view|policy|trigger)/im);
    }
  });

  it('definitionsSql() is every file, in order, each under a header naming it', async () => {
    const sql = await definitionsSql();
    const headers = [...sql.matchAll(/^-- ===== definitions\/(\S+) =====$/gm)].map((m) => m[1]);
    expect(headers).toEqual((await listDefinitions()).map((d) => d.file));
  });

  it('orders by the numeric prefix and ignores other files', async () => {
    const dir = await smallDir();
    expect((await listDefinitions(dir)).map((d) => d.file)).toEqual(['9_first.sql', '10_second.sql']);
    await writeFile(path.join(dir, 'definitions', '09_again.sql'), FIRST);
    await expect(listDefinitions(dir)).rejects.toThrow(/share position 9/);
  });
});

/**
 * The bodies the definition files changed after the last versioned migration (ADR 0038: a body changes in its
 * definition file, without a new migration), each with why. Everything else the files define must be exactly
 * what the last migration left; each listed body must really differ from it (a stale entry fails).
 */
const CHANGED_SINCE_LAST_MIGRATION: Record<string, string> = {
  trainlytics_activity_json:
    'a legacy row without provider_activity_id is read under its Strava id (ADR 0040)',
};

/** `catalog()` with the listed functions' bodies left out, and those bodies apart. */
function splitChanged(snap: unknown): { rest: unknown; bodies: Record<string, string[]> } {
  const { functions, ...others } = snap as { functions: Array<{ proname: string; prosrc: string }> };
  const bodies: Record<string, string[]> = {};
  const kept = functions.map((f) => {
    if (!(f.proname in CHANGED_SINCE_LAST_MIGRATION)) return f;
    bodies[f.proname] = [...(bodies[f.proname] ?? []), f.prosrc];
    return { ...f, prosrc: '(changed since the last migration)' };
  });
  return { rest: { ...others, functions: kept }, bodies };
}

/** `after` equals `before` but for the listed bodies, and every listed body changed. */
function expectOnlyListedBodiesChanged(before: unknown, after: unknown): void {
  const b = splitChanged(before);
  const a = splitChanged(after);
  expect(a.rest).toEqual(b.rest);
  for (const name of Object.keys(CHANGED_SINCE_LAST_MIGRATION)) {
    expect(a.bodies[name], name).toBeDefined();
    expect(a.bodies[name], `${name} is listed as changed but equals the last migration's body`).not.toEqual(
      b.bodies[name],
    );
  }
}

// What upgrading from each version is checked from (every version on PostgreSQL; a few on PGlite, slower).
const upgradeFrom = async (kind: Kind) => {
  const versions = (await listMigrations()).map((m) => m.version);
  return kind === 'postgres' ? versions : ['002', '013', versions.at(-1)!];
};

describe.each(kinds)('repeatable definitions on %s', (kind) => {
  const t = useTestDatabase(kind);

  it('are the bodies in force after the last migration, but for the listed changes', async () => {
    const withoutDefinitions = await copyOfSql({ definitions: false });
    const result = await migrate(t.input, { dir: withoutDefinitions });
    expect(result.definitions).toEqual([]);
    const before = await catalog(t.db);
    const applied = await migrate(t.input);
    expect(applied.steps).toEqual([]);
    expect(applied.definitions.map((d) => d.file)).toEqual((await listDefinitions()).map((d) => d.file));
    expect(applied.definitions.every((d) => d.reason === 'new')).toBe(true);
    expectOnlyListedBodiesChanged(before, await catalog(t.db));
  }, 120_000);

  it('pasted as one script (definitionsSql) on a database at the last version: clean, twice, the same', async () => {
    await migrate(t.input, { dir: await copyOfSql({ definitions: false }) });
    const before = await catalog(t.db);
    const script = await definitionsSql();
    await t.db.exec(script);
    const once = await catalog(t.db);
    expectOnlyListedBodiesChanged(before, once);
    await t.db.exec(script);
    expect(await catalog(t.db)).toEqual(once);
    // and it is what `migrate up` leaves (the bookkeeping table aside)
    await migrate(t.input);
    expect(await catalog(t.db)).toEqual(once);
  }, 120_000);

  it('a fresh install and an upgrade from any version end with the same catalog', async () => {
    await migrate(t.input);
    const fresh = await catalog(t.db);
    const files = (await listDefinitions()).map((d) => d.file);
    expect((await recorded(t)).map((r) => r.file)).toEqual([...files].sort());
    for (const version of await upgradeFrom(kind)) {
      await t.db.exec(
        'drop schema public cascade; create schema public; grant usage on schema public to public;',
      );
      const reached = await migrate(t.input, { to: version }); // at the last version, this one applies them
      const upgraded = await migrate(t.input);
      const applied = [...reached.definitions, ...upgraded.definitions].map((d) => d.file);
      expect(applied, `from ${version}`).toEqual(files);
      expect(await catalog(t.db), `upgraded from ${version}`).toEqual(fresh);
    }
  }, 300_000);

  it('re-applies only a definition whose checksum changed, and nothing when none did', async () => {
    const dir = await copyOfSql();
    await migrate(t.input, { dir });
    const first = await recorded(t);
    expect((await migrate(t.input, { dir })).definitions).toEqual([]);
    expect(await recorded(t)).toEqual(first);
    expect((await definitionStatus(t.input, { dir })).every((d) => d.state === 'applied')).toBe(true);

    // a fix to one body: the file is edited, no new numbered migration
    const file = path.join(dir, 'definitions', '06_activities.sql');
    const original = await readFile(file, 'utf8');
    const edited = original.replace(
      /(create or replace function trainlytics_get_activity\(args jsonb\)[\s\S]*?as \$\$\n)/,
      '$1  -- planted: edited body\n',
    );
    expect(edited).not.toBe(original);
    await writeFile(file, edited);
    const states = await definitionStatus(t.input, { dir });
    expect(states.filter((d) => d.state !== 'applied')).toMatchObject([
      { file: '06_activities.sql', state: 'changed' },
    ]);

    const again = await migrate(t.input, { dir });
    expect(again.steps).toEqual([]);
    expect(again.definitions).toMatchObject([{ file: '06_activities.sql', reason: 'changed' }]);
    const [body] = await t.rows<{ prosrc: string }>(
      `select prosrc from pg_proc where proname = 'trainlytics_get_activity'`,
    );
    expect(body?.prosrc).toContain('planted: edited body');
    const after = await recorded(t);
    for (const row of after) {
      const before = first.find((r) => r.file === row.file)!;
      if (row.file === '06_activities.sql') expect(row.checksum).not.toBe(before.checksum);
      else expect(row).toEqual(before);
    }
    expect((await migrate(t.input, { dir })).definitions).toEqual([]);
  }, 120_000);

  it('are not applied below the last version, nor over a version this package does not ship', async () => {
    const dir = await smallDir();
    const partial = await migrate(t.input, { dir, to: '001' });
    expect(partial.definitions).toEqual([]);
    const exists = async () =>
      (
        await t.rows<{ n: number }>(`select count(*)::int as n from pg_proc where proname like 'tl_test_%'`)
      )[0]!.n;
    expect(await exists()).toBe(0);
    expect((await definitionStatus(t.input, { dir })).map((d) => d.state)).toEqual(['pending', 'pending']);

    // a newer package migrated this database further (a version not shipped here): its bodies stay
    await t.db.exec(
      `insert into trainlytics_migrations (version, name, checksum) values ('999', 'newer', 'x')`,
    );
    const behind = await migrate(t.input, { dir });
    expect(behind.steps.map((s) => s.file)).toEqual(['002_multi_provider.sql']);
    expect(behind.definitions).toEqual([]);
    expect(await exists()).toBe(0);
  });

  it('apply in file order, each with its record; a down clears the records and the next up applies all again', async () => {
    const dir = await smallDir();
    const up = await migrate(t.input, { dir });
    expect(up.definitions.map((d) => d.file)).toEqual(['9_first.sql', '10_second.sql']);
    expect((await t.rows<{ v: number }>('select tl_test_second() as v'))[0]!.v).toBe(2);
    expect((await recorded(t)).map((r) => r.file).sort()).toEqual(['10_second.sql', '9_first.sql']);

    const down = await migrate(t.input, { dir, direction: 'down' });
    expect(down.steps.map((s) => s.file)).toEqual(['002_multi_provider.down.sql']);
    expect(down.definitions).toEqual([]);
    expect(await recorded(t)).toEqual([]);
    expect((await definitionStatus(t.input, { dir })).map((d) => d.state)).toEqual(['pending', 'pending']);

    const again = await migrate(t.input, { dir });
    expect(again.steps.map((s) => s.file)).toEqual(['002_multi_provider.sql']);
    expect(again.definitions.map((d) => [d.file, d.reason])).toEqual([
      ['9_first.sql', 'new'],
      ['10_second.sql', 'new'],
    ]);
  });

  it('a failing definition is rolled back with its record; the ones before it stay applied', async () => {
    const dir = await smallDir();
    await migrate(t.input, { dir });
    await writeFile(path.join(dir, 'definitions', '9_first.sql'), FIRST.replace('select 1', 'select 10'));
    await writeFile(
      path.join(dir, 'definitions', '10_second.sql'),
      SECOND.replace('commit;', 'select 1 / 0;\ncommit;').replace('+ 1', '+ 5'),
    );
    const before = await recorded(t);
    const error = await migrate(t.input, { dir }).catch((e: unknown) => e);
    expect(MigrationFailedError.isInstance(error)).toBe(true);
    expect((error as MigrationFailedError).file).toBe('definitions/10_second.sql');
    expect((error as Error).message).toMatch(/division by zero/);
    // 9_first applied (new checksum), 10_second not: old body, old record
    expect((await t.rows<{ v: number }>('select tl_test_second() as v'))[0]!.v).toBe(11);
    const after = await recorded(t);
    expect(after.find((r) => r.file === '10_second.sql')).toEqual(
      before.find((r) => r.file === '10_second.sql'),
    );
    expect(after.find((r) => r.file === '9_first.sql')!.checksum).not.toBe(
      before.find((r) => r.file === '9_first.sql')!.checksum,
    );
    expect((await definitionStatus(t.input, { dir })).map((d) => d.state)).toEqual(['applied', 'changed']);
  });

  it('status lists a recorded definition whose file is gone as missing', async () => {
    const dir = await smallDir();
    await migrate(t.input, { dir });
    await rm(path.join(dir, 'definitions', '10_second.sql'));
    expect((await definitionStatus(t.input, { dir })).map((d) => [d.file, d.state])).toEqual([
      ['9_first.sql', 'applied'],
      ['10_second.sql', 'missing'],
    ]);
  });

  it('keeps its bookkeeping from the Supabase API roles, like trainlytics_migrations', async () => {
    await migrate(t.input, { dir: await smallDir() });
    const [row] = await t.rows<{ rls: boolean }>(
      `select relrowsecurity as rls from pg_class where relname = '${DEFINITIONS_TABLE}'`,
    );
    expect(row?.rls).toBe(true);
  });
});
