import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { listDefinitions, listMigrations } from '@trainlytics/migrations';
import { Command } from 'commander';
import { beforeEach, describe, expect, it } from 'vitest';
import { seedLegacy, snapshot } from '../../migrations/test/helpers';
import { runMigrateCommand } from '../src/migrate/run-migrate-command';
import { createProgram } from '../src/program';
import { capturedIO, useMigrateDatabase } from './helpers/migrate-fixtures';

// `trainlytics migrate` in process (moved from the migrations package with the command, ADR 0042): the same
// arguments, output and exit codes as when `runMigrateCommand` lived there.

const io = (env: Record<string, string | undefined> = {}, cwd?: string) => capturedIO({ env, cwd });

describe('runMigrateCommand against PostgreSQL', () => {
  const database = useMigrateDatabase();
  const db = database.db;
  beforeEach(async () => {
    const d = db();
    await d.exec('drop schema public cascade; create schema public; grant usage on schema public to public;');
    await d.close();
  });

  it('up, status, verify, down: output and exit codes', async () => {
    const files = (await listMigrations()).map((m) => m.file);
    const up = io();
    expect(await runMigrateCommand(['up', '--database-url', database.url], up.io)).toBe(0);
    expect(up.stdout).toContain('Migrating up (127.0.0.1:5432)');
    for (const file of files) expect(up.stdout).toMatch(new RegExp(`Applied ${file} in \\d+ ms`));
    expect(up.stderr).toBe('');

    const st = io({ DATABASE_URL: database.url });
    expect(await runMigrateCommand(['migrate', 'status'], st.io)).toBe(0);
    const definitions = (await listDefinitions()).map((d) => d.file);
    const statusLines = st.stdout.trim().split('\n');
    expect(statusLines).toHaveLength(files.length + definitions.length);
    expect(st.stdout).toMatch(/^applied {3}001_legacy\.sql/);
    // the repeatable definitions (ADR 0038) after the migrations, applied by the same `up`
    expect(statusLines.slice(files.length).map((l) => l.split(/\s+/).slice(0, 2))).toEqual(
      definitions.map((file) => ['applied', `definitions/${file}`]),
    );

    const verify = io();
    expect(await runMigrateCommand(['verify', `--database-url=${database.url}`], verify.io)).toBe(0);
    const lines = verify.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.every((l) => l.startsWith('pass  '))).toBe(true);

    const json = io();
    expect(await runMigrateCommand(['verify', '--json', '--database-url', database.url], json.io)).toBe(0);
    expect(JSON.parse(json.stdout)).toHaveLength(5);

    const down = io();
    expect(
      await runMigrateCommand(['down', '--to', '001', '--yes', '--database-url', database.url], down.io),
    ).toBe(0);
    expect(down.stdout).toContain('Reverted 002_multi_provider.down.sql');
    expect(down.stdout).toContain('Current version: 001');
  });

  it('verify exits 1 with a FAIL row when a check fails', async () => {
    await runMigrateCommand(['up', '--to', '002', '--database-url', database.url], io().io);
    const d = db();
    await seedLegacy(d).catch(() => {}); // users etc. exist after up; seed the legacy rows
    await d.exec(`insert into activities (user_id, strava_activity_id, name) values (5, 42, 'unlinked')`);
    await d.close();
    const out = io();
    expect(await runMigrateCommand(['verify', '--database-url', database.url], out.io)).toBe(1);
    expect(out.stdout).toMatch(/^FAIL {2}synced activities linked/m);
  });

  it('prints one clear line and exits 1 for a database it cannot reach', async () => {
    const out = io();
    expect(
      await runMigrateCommand(['up', '--database-url', 'postgres://postgres@127.0.0.1:1/db'], out.io),
    ).toBe(1);
    expect(out.stderr).toMatch(
      /^trainlytics migrate up: Could not connect to PostgreSQL at 127\.0\.0\.1:1: .*ECONNREFUSED.*\n$/,
    );
    expect(out.stderr.split('\n')).toHaveLength(2);
    expect(out.stdout).not.toContain('Applied');
  });

  it('refuses a changed migration file: one line naming the file, exit 1, nothing changed', async () => {
    await runMigrateCommand(['up', '--to', '001', '--database-url', database.url], io().io);
    const d = db();
    await d.exec(`update trainlytics_migrations set checksum = repeat('0', 64) where version = '001'`);
    const before = await snapshot(d);
    const out = io();
    expect(await runMigrateCommand(['up', '--database-url', database.url], out.io)).toBe(1);
    expect(out.stderr).toMatch(
      /^trainlytics migrate up: Migration 001_legacy\.sql was changed after it was applied/,
    );
    expect(out.stderr.split('\n')).toHaveLength(2);
    expect(await snapshot(d)).toEqual(before);
    const st = io();
    expect(await runMigrateCommand(['status', '--database-url', database.url], st.io)).toBe(1);
    expect(st.stdout).toMatch(/^changed {3}001_legacy\.sql/);
    await d.close();
  });

  it('explains, in one line, a database where 002 would run without the legacy tables', async () => {
    const [legacy] = await listMigrations();
    const d = db();
    await d.exec(
      `create table trainlytics_migrations (version text primary key, name text not null, checksum text not null,
         applied_at timestamptz not null default now());
       alter table trainlytics_migrations enable row level security;`,
    );
    await d.query(
      `insert into trainlytics_migrations (version, name, checksum) values ('001', 'legacy', $1)`,
      [legacy!.checksum],
    );
    const before = await snapshot(d);
    const out = io();
    expect(await runMigrateCommand(['up', '--database-url', database.url], out.io)).toBe(1);
    expect(out.stderr).toMatch(
      /^trainlytics migrate up: Migration 002_multi_provider\.sql failed and its transaction was rolled back: .*this database has no users, activities table\. Run 001_legacy\.sql first/,
    );
    expect(out.stderr.split('\n')).toHaveLength(2);
    expect(await snapshot(d)).toEqual(before);
    await d.close();
  });

  it('drop-legacy refuses with one line while rows are not migrated', async () => {
    await runMigrateCommand(['up', '--to', '002', '--database-url', database.url], io().io);
    const d = db();
    await seedLegacy(d).catch(() => {});
    await d.close();
    const out = io();
    expect(await runMigrateCommand(['drop-legacy', '--database-url', database.url], out.io)).toBe(1);
    expect(out.stderr).toMatch(
      /^trainlytics migrate drop-legacy: Refusing to drop strava_connections: 3 row\(s\)/,
    );
  });

  it('usage errors exit 2', async () => {
    const unknown = io();
    expect(await runMigrateCommand(['sideways'], unknown.io)).toBe(2);
    expect(unknown.stderr).toMatch(/^trainlytics migrate: unknown command "sideways"/);
    const missing = io();
    expect(await runMigrateCommand(['up', '--database-url'], missing.io)).toBe(2);
    expect(missing.stderr).toMatch(/--database-url needs a value/);
    const help = io();
    expect(await runMigrateCommand(['--help'], help.io)).toBe(0);
    expect(help.stdout).toMatch(/^Usage: trainlytics migrate <command>/);
  });
});

describe('runMigrateCommand with the embedded PGlite database', () => {
  it('uses ./.trainlytics/db when neither --database-url nor DATABASE_URL is given', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'tl-cli-'));
    const up = io({}, cwd);
    expect(await runMigrateCommand(['up'], up.io)).toBe(0);
    expect(up.stdout).toContain('embedded PGlite database .trainlytics/db');
    expect(existsSync(path.join(cwd, '.trainlytics', 'db', 'PG_VERSION'))).toBe(true);
    const verify = io({ DATABASE_URL: '' }, cwd);
    expect(await runMigrateCommand(['verify'], verify.io)).toBe(0);
    expect(
      verify.stdout
        .trim()
        .split('\n')
        .every((l) => l.startsWith('pass')),
    ).toBe(true);
  }, 120_000); // two cold starts of a file-backed PGlite: seconds each on a busy machine
});

describe('trainlytics migrate is a commander command', () => {
  const migrateOf = () =>
    createProgram({ ...io().io, cwd: process.cwd() }, () => {}).commands.find((c) => c.name() === 'migrate')!;

  it('--help is commander help: the command’s own helpInformation(), options and subcommands included', async () => {
    const migrate = migrateOf();
    expect(migrate).toBeInstanceOf(Command);
    expect(migrate.commands.map((c) => c.name())).toEqual(['up', 'down', 'status', 'verify', 'drop-legacy']);
    for (const args of [['--help'], ['-h'], ['status', '--help']]) {
      const help = io();
      expect(await runMigrateCommand(args, help.io)).toBe(0);
      const expected = args[0] === 'status' ? migrate.commands.find((c) => c.name() === 'status')! : migrate;
      expect(help.stdout).toBe(expected.helpInformation());
      expect(help.stderr).toBe('');
    }
    const help = migrate.helpInformation();
    expect(help).toMatch(/^Usage: trainlytics migrate <command> \[options\]\n/);
    for (const flag of [
      '--database-url <url>',
      '--to <version>',
      '--force',
      '-y, --yes',
      '--json',
      '-h, --help',
    ])
      expect(help).toContain(`  ${flag}`);
    for (const name of ['up', 'down', 'status', 'verify', 'drop-legacy'])
      expect(help).toMatch(new RegExp(`\\n  ${name} +\\S`));
    // a subcommand's help lists the options it shares with migrate (commander's global options)
    expect(migrate.commands[0]!.helpInformation()).toMatch(/Global Options:[\s\S]*--database-url <url>/);
  });

  it('options go before or after the subcommand, and --opt=value works', async () => {
    const before = io({}, await mkdtemp(path.join(tmpdir(), 'tl-cli-')));
    expect(await runMigrateCommand(['--json', '--to', 'latest', 'up'], before.io)).toBe(2);
    expect(before.stderr).toMatch(/^trainlytics migrate up: Unknown migration target "latest"/);
    const inline = io();
    expect(await runMigrateCommand(['status', '--database-url=mysql://u:pw@h/db'], inline.io)).toBe(1);
    expect(inline.stderr).toBe(
      'trainlytics migrate status: Invalid database URL "mysql://***@h/db": expected postgres://user:password@host:port/database\n',
    );
  });

  it('usage errors keep migrate’s words, one line first, exit 2', async () => {
    for (const [args, line] of [
      [[], 'trainlytics migrate: missing command'],
      [['up', 'extra'], 'trainlytics migrate: Unexpected argument "extra"'],
      [['status', '--bogus'], 'trainlytics migrate: Unknown option --bogus'],
      [['verify', '--to'], 'trainlytics migrate: --to needs a value'],
      [['down', '--yes', 'status'], 'trainlytics migrate: Unexpected argument "status"'],
    ] as const) {
      const out = io();
      expect(await runMigrateCommand([...args], out.io)).toBe(2);
      expect(out.stderr.split('\n')[0]).toBe(line);
      expect(out.stderr).not.toMatch(/\n\s+at /);
      expect(out.stdout).toBe('');
    }
  });
});
