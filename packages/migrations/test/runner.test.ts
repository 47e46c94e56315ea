import { createHash } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  dropLegacy,
  LegacyDropRefusedError,
  LegacySchemaMissingError,
  listMigrations,
  MIGRATION_LOCK_KEY,
  MigrationChecksumError,
  MigrationConnectionError,
  MigrationFailedError,
  migrate,
  migrationsDir,
  status,
  toDatabase,
  unwrapTransaction,
  verify,
} from '../src/index.js';
import { kinds, seedLegacy, snapshot, tempMigrationsDir, useTestDatabase } from './helpers.js';

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe.each(kinds)('migration runner on %s', (kind) => {
  const t = useTestDatabase(kind);

  it('records applied migrations with their sha256 and reports status', async () => {
    const dir = await tempMigrationsDir();
    expect((await status(t.input, { dir })).map((s) => s.state)).toEqual(['pending', 'pending']);
    const result = await migrate(t.input, { dir });
    expect(result.current).toBe('002');
    const rows = await t.rows<{ version: string; name: string; checksum: string }>(
      'select version, name, checksum from trainlytics_migrations order by version',
    );
    expect(rows).toEqual([
      { version: '001', name: 'legacy', checksum: await sha(path.join(dir, '001_legacy.sql')) },
      {
        version: '002',
        name: 'multi_provider',
        checksum: await sha(path.join(dir, '002_multi_provider.sql')),
      },
    ]);
    const states = await status(t.input, { dir });
    expect(states.map((s) => [s.file, s.state, s.hasDown])).toEqual([
      ['001_legacy.sql', 'applied', false],
      ['002_multi_provider.sql', 'applied', true],
    ]);
    expect(states.every((s) => s.appliedAt instanceof Date)).toBe(true);
  });

  it('picks up a new NNN_name.sql (+ .down.sql) without changes, and down reverts one step by default', async () => {
    const dir = await tempMigrationsDir({
      '003_extra.sql': 'begin;\ncreate table if not exists extra (id int primary key);\ncommit;\n',
      '003_extra.down.sql': 'begin;\ndrop table if exists extra;\ncommit;\n',
    });
    const up = await migrate(t.input, { dir });
    expect(up.steps.map((s) => s.file)).toEqual([
      '001_legacy.sql',
      '002_multi_provider.sql',
      '003_extra.sql',
    ]);
    expect((await t.rows(`select to_regclass('extra')::text as t`))[0]!.t).toBe('extra');
    // A down file without a guard (ADR 0008) is dry-run and what it destroys is counted: refused unless forced.
    await t.db.exec('insert into extra values (1), (2)');
    await expect(migrate(t.input, { dir, direction: 'down' })).rejects.toThrow(
      /^Refusing to revert: it would lose data \(003_extra\.down\.sql: extra: 2 row\(s\) \(table dropped\)\)/,
    );
    expect((await t.rows('select count(*)::int as n from extra'))[0]!.n).toBe(2);
    await t.db.exec('delete from extra');
    const down = await migrate(t.input, { dir, direction: 'down' });
    expect(down.steps.map((s) => s.file)).toEqual(['003_extra.down.sql']);
    expect(down.current).toBe('002');
    expect((await t.rows(`select to_regclass('extra') as t`))[0]!.t).toBeNull();
    await expect(migrate(t.input, { dir, direction: 'down', to: '000' })).rejects.toThrow(
      /Cannot revert 001_legacy\.sql: it has no 001_legacy\.down\.sql/,
    );
    // That refusal happened before anything ran.
    expect(await migrate(t.input, { dir, direction: 'up' })).toMatchObject({ current: '003' });
  });

  it('applies every file shipped in sql/ in order, and verify passes', async () => {
    await t.db.exec((await readFile(path.join(migrationsDir, '001_legacy.sql'), 'utf8')) as string);
    await seedLegacy(t.db);
    const files = (await listMigrations()).map((m) => m.file);
    const result = await migrate(t.input);
    expect(result.steps.map((s) => s.file)).toEqual(files);
    expect((await verify(t.input)).filter((c) => !c.ok)).toEqual([]);
    expect((await migrate(t.input)).steps).toEqual([]);
  });

  it('refuses to run, changing nothing, when an applied file was edited (MigrationChecksumError)', async () => {
    const dir = await tempMigrationsDir();
    await migrate(t.input, { dir, to: '001' });
    await appendFile(path.join(dir, '001_legacy.sql'), '\n-- an innocent edit\n');
    const before = await snapshot(t.db);
    const error = await migrate(t.input, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as Error).message).toMatch(/Migration 001_legacy\.sql was changed after it was applied/);
    expect(await snapshot(t.db)).toEqual(before);
    expect((await status(t.input, { dir }))[0]!.state).toBe('changed');
  });

  it('rolls back a migration that fails part-way and records nothing', async () => {
    const dir = await tempMigrationsDir();
    const file = path.join(dir, '002_multi_provider.sql');
    const sql = await readFile(file, 'utf8');
    const marker = '-- Indexes for the sync engine and the views';
    await writeFile(file, sql.replace(marker, `select 1 / 0;\n${marker}`));
    await migrate(t.input, { dir, to: '001' });
    await seedLegacy(t.db);
    const before = await snapshot(t.db);
    const error = await migrate(t.input, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toBe(
      'Migration 002_multi_provider.sql failed and its transaction was rolled back: division by zero',
    );
    expect(await snapshot(t.db)).toEqual(before);
    // The session is usable afterwards.
    expect((await migrate(t.input, { dir, to: '001' })).steps).toEqual([]);
  });

  it('gives a clear error when 002 would run on a database without the legacy tables', async () => {
    const [legacy] = await listMigrations();
    await t.db.exec(
      `create table trainlytics_migrations (version text primary key, name text not null, checksum text not null,
         applied_at timestamptz not null default now());`,
    );
    await t.db.query(
      `insert into trainlytics_migrations (version, name, checksum) values ('001', 'legacy', $1)`,
      [legacy!.checksum],
    );
    const error = await migrate(t.input, { to: '002' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LegacySchemaMissingError);
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect((error as Error).message).toMatch(
      /^Migration 002_multi_provider\.sql failed and its transaction was rolled back: Trainlytics migration 002_multi_provider needs the legacy schema, but this database has no users, activities table\. Run 001_legacy\.sql first/,
    );
    const tables = await t.rows<{ n: number }>(
      `select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables[0]!.n).toBe(1);
  });

  it('serializes two runners started at once', async () => {
    const dir = await tempMigrationsDir();
    const [a, b] =
      kind === 'postgres'
        ? await Promise.all([migrate(t.url!, { dir }), migrate(t.url!, { dir })])
        : await Promise.all([migrate(t.input, { dir }), migrate(t.input, { dir })]);
    expect([a.steps.length, b.steps.length].sort()).toEqual([0, 2]);
    expect(a.current).toBe('002');
    expect(b.current).toBe('002');
    const rows = await t.rows<{ n: number }>('select count(*)::int as n from trainlytics_migrations');
    expect(rows[0]!.n).toBe(2);
    const locks = await t.rows<{ n: number }>(
      // this database's only: other processes of the cluster hold advisory locks of their own
      `select count(*)::int as n from pg_locks
       where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
    );
    expect(locks[0]!.n).toBe(0);
  });

  it('verify catches unmigrated rows; dropLegacy refuses until every connection is migrated', async () => {
    const dir = await tempMigrationsDir();
    await migrate(t.input, { dir, to: '001' });
    await seedLegacy(t.db);
    await migrate(t.input, { dir });
    expect((await verify(t.input)).every((c) => c.ok)).toBe(true);

    // The legacy app keeps writing after the migration: a connection and a synced activity of a user without one.
    await t.db.exec(`
      insert into strava_connections (user_id, strava_athlete_id, access_token, refresh_token, expires_at)
      values (3, 3003, 'late-access', 'late-refresh', '2030-01-01T00:00:00Z');
      insert into activities (user_id, strava_activity_id, name, sport_type) values (5, 8000000001, 'Orphan', 'Run');
    `);
    const checks = await verify(t.input);
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ['tables present', true],
      ['strava connections migrated', false],
      ['synced activities linked', false],
      ['views answer', true],
      ['functions answer', true],
    ]);
    expect(checks[1]!.detail).toBe(
      '4 in strava_connections, 3 in provider_connections; 1 not migrated (athlete ids 3003)',
    );
    expect(checks[2]!.detail).toMatch(/^1 of \d+ synced Strava activities have no connection/);

    const refusal = await dropLegacy(t.input).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(LegacyDropRefusedError);
    expect((refusal as Error).message).toMatch(
      /^Refusing to drop strava_connections: 1 row\(s\) have no matching/,
    );
    expect(
      (await t.rows(`select to_regclass('strava_connections') is not null as present`))[0]!.present,
    ).toBe(true);

    // Re-running 002 picks the late rows up; then the legacy table can go.
    await t.db.exec(await readFile(path.join(dir, '002_multi_provider.sql'), 'utf8'));
    await t.db.exec(`delete from activities where name = 'Orphan'`);
    expect((await verify(t.input)).every((c) => c.ok)).toBe(true);
    expect(await dropLegacy(t.input)).toEqual({
      dropped: true,
      detail: 'Dropped strava_connections (4 rows, all present in provider_connections).',
    });
    expect(await dropLegacy(t.input)).toMatchObject({ dropped: false });
    const afterDrop = await verify(t.input);
    expect(afterDrop.every((c) => c.ok)).toBe(true);
    expect(afterDrop[1]!.detail).toBe('strava_connections already dropped; 4 Strava connections');

    // 002 still re-runs cleanly, and down rebuilds strava_connections from provider_connections.
    const before = await snapshot(t.db);
    await t.db.exec(await readFile(path.join(dir, '002_multi_provider.sql'), 'utf8'));
    expect(await snapshot(t.db)).toEqual(before);
    await migrate(t.input, { dir, direction: 'down' });
    const restored = await t.rows<{ strava_athlete_id: string | number; access_token: string }>(
      'select strava_athlete_id::text as strava_athlete_id, access_token from strava_connections order by strava_athlete_id',
    );
    expect(restored.map((r) => r.access_token)).toEqual([
      "access-ana-'quoted'",
      'access-bob',
      'late-access',
      'access-dan-ü',
    ]);
  });

  it('runs without the Supabase roles, with RLS enabled', async () => {
    await migrate(t.input, { dir: await tempMigrationsDir() });
    const rls = await t.rows<{ relname: string; relrowsecurity: boolean }>(
      `select relname, relrowsecurity from pg_class
       where relname in ('provider_connections', 'sync_history') order by relname`,
    );
    expect(rls).toEqual([
      { relname: 'provider_connections', relrowsecurity: true },
      { relname: 'sync_history', relrowsecurity: true },
    ]);
    if (kind === 'pglite') {
      const roles = await t.rows(`select rolname from pg_roles where rolname in ('anon', 'authenticated')`);
      expect(roles).toEqual([]);
    }
  });
});

describe('migration lock (PostgreSQL)', () => {
  const t = useTestDatabase('postgres');

  it('waits while another runner holds the advisory lock, then finds nothing left to do', async () => {
    const dir = await tempMigrationsDir();
    const holder = await (t.input as pg.Pool).connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      let signalWaiting!: () => void;
      const waiting = new Promise<void>((resolve) => {
        signalWaiting = resolve;
      });
      const log: string[] = [];
      const run = migrate(t.url!, {
        dir,
        logger: {
          info: (message) => {
            log.push(message);
            if (message.includes('waiting')) signalWaiting();
          },
        },
      });
      await waiting;
      expect(log).toEqual(['Another migration runner holds the lock; waiting for it to finish…']);
      expect((await t.rows(`select to_regclass('users') as r`))[0]!.r).toBeNull();
      // The "other runner" migrates, then releases the lock.
      await migrate(holder, { dir });
      await holder.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      const result = await run;
      expect(result.steps).toEqual([]);
      expect(log.at(-1)).toBe('Database is up to date.');
    } finally {
      holder.release();
    }
  });
});

describe('migration queue (PGlite)', () => {
  const t = useTestDatabase('pglite');

  it('runs two runners on one instance one after the other', async () => {
    const dir = await tempMigrationsDir();
    const events: string[] = [];
    const logger = (name: string) => ({ info: (message: string) => events.push(`${name}: ${message}`) });
    await Promise.all([
      migrate(t.input, { dir, logger: logger('a') }),
      migrate(t.input, { dir, logger: logger('b') }),
    ]);
    // Whichever reached the queue first migrates; the other starts only once it is done.
    const first = events[0]!.slice(0, 1);
    const second = first === 'a' ? 'b' : 'a';
    expect(events.map((e) => e.replace(/ in \d+ ms$/, ''))).toEqual([
      `${first}: Applying 001_legacy.sql…`,
      `${first}: Applied 001_legacy.sql`,
      `${first}: Applying 002_multi_provider.sql…`,
      `${first}: Applied 002_multi_provider.sql`,
      `${second}: Database is up to date.`,
    ]);
  });
});

describe('database adapter', () => {
  it('names host and port when PostgreSQL refuses the connection', async () => {
    const error = await migrate('postgres://postgres@127.0.0.1:1/nowhere').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationConnectionError);
    expect((error as Error).message).toMatch(
      /^Could not connect to PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
  });

  it('rejects something that is not a postgres:// URL', async () => {
    const error = await status('mysql://root:secret@localhost/db').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationConnectionError);
    expect((error as Error).message).toBe(
      'Invalid database URL "mysql://***@localhost/db": expected postgres://user:password@host:port/database',
    );
  });

  it('reports a database that does not exist', async () => {
    const error = await status('postgres://postgres@127.0.0.1:5432/tl_mig_does_not_exist').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationConnectionError);
    expect((error as Error).message).toBe(
      'Could not connect to PostgreSQL at 127.0.0.1:5432: database "tl_mig_does_not_exist" does not exist (create it, or fix the database name in the URL)',
    );
  });

  it('adapts a connected pg.Client', async () => {
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await client.connect();
    try {
      const db = toDatabase(client);
      expect(db.target).toBe('127.0.0.1:5432');
      expect((await db.query<{ n: number }>('select $1::int + 1 as n', [41])).rows).toEqual([{ n: 42 }]);
    } finally {
      await client.end();
    }
  });

  it('unwraps a file’s own begin/commit so the runner can add its bookkeeping to the transaction', () => {
    expect(unwrapTransaction('-- header\n\nbegin;\ncreate table x ();\ncommit;\n-- end\n')).toEqual({
      body: '\ncreate table x ();\n',
      wrapped: true,
    });
    expect(unwrapTransaction('create table x ();')).toEqual({ body: 'create table x ();', wrapped: false });
  });
});
