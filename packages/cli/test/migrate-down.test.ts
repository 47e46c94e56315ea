import path from 'node:path';
import { listMigrations, type MigrationFile, migrate } from '@trainlytics/migrations';
import { beforeEach, describe, expect, it } from 'vitest';
import { seedLegacy } from '../../migrations/test/helpers';
import type { CliIO } from '../src/cli-io';
import { runMigrateCommand } from '../src/migrate/run-migrate-command';
import { capturedIO, terminal, useMigrateDatabase } from './helpers/migrate-fixtures';

// `trainlytics migrate down`'s confirmation, refusal and usage errors (moved from the migrations package with
// the command, ADR 0042): the runner's down policy itself is tested in packages/migrations/test/down-policy.test.ts.

const io = (stdin?: CliIO['stdin']) => capturedIO({ stdin });

describe('trainlytics migrate down (PostgreSQL)', () => {
  const database = useMigrateDatabase();
  const db = database.db;
  beforeEach(async () => {
    const d = db();
    await d.exec('drop schema public cascade; create schema public; grant usage on schema public to public;');
    await migrate(d, { to: '001' });
    await seedLegacy(d);
    await migrate(d);
    await d.close();
  });
  const run = (args: string[], out = io()) =>
    runMigrateCommand(['down', ...args, '--database-url', database.url], out.io);
  const current = async () => {
    const d = db();
    try {
      return (await d.query<{ v: string }>('select max(version) as v from trainlytics_migrations')).rows[0]!
        .v;
    } finally {
      await d.close();
    }
  };

  it('asks on a terminal, needs --yes otherwise, and refuses a loss without --force', async () => {
    const [previous, last] = (await listMigrations()).slice(-2) as [MigrationFile, MigrationFile];
    const lastDown = path.basename(last.downPath!);
    const piped = io();
    expect(await run(['--to', previous.version], piped)).toBe(2);
    expect(piped.stderr).toBe(
      `trainlytics migrate down: not reverting ${lastDown} without confirmation: stdin is not a terminal, pass --yes\n`,
    );
    expect(await current()).toBe(last.version);

    const no = io(terminal('n\n'));
    expect(await run(['--to', previous.version], no)).toBe(1);
    expect(no.stderr).toBe(
      `Revert ${lastDown} (nothing is lost)? [y/N] trainlytics migrate down: not confirmed, nothing reverted\n`,
    );
    expect(await current()).toBe(last.version);

    const yes = io(terminal('y\n'));
    expect(await run(['--to', previous.version], yes)).toBe(0);
    expect(yes.stdout).toContain(`Current version: ${previous.version}`);
    expect(await current()).toBe(previous.version);

    const d = db();
    await d.exec(`insert into provider_connections (user_id, provider, provider_user_id, access_token)
                  values (3, 'garmin', 'g-3', 'garmin-token')`);
    await d.close();
    const refused = io();
    expect(await run(['--to', '001', '--yes'], refused)).toBe(1);
    expect(refused.stderr).toMatch(
      /^trainlytics migrate down: refusing to revert \d+_.*002_multi_provider\.down\.sql: it would lose data \(002_multi_provider\.down\.sql: provider_connections: 1 garmin connection\(s\) with their tokens\)\. Keep what you need first, or pass --force to revert anyway\.\n$/,
    );
    expect(await current()).toBe(previous.version);

    const forced = io(terminal('yes\n'));
    expect(await run(['--to', '001', '--force'], forced)).toBe(0);
    expect(forced.stderr).toMatch(
      /^Revert .*, losing 002_multi_provider\.down\.sql: provider_connections: 1 garmin/,
    );
    expect(await current()).toBe('001');
  });

  it('a target that is not exactly a known version is a usage error: one line, exit 2, nothing run', async () => {
    const migrations = await listMigrations();
    const known = migrations.map((m) => `${m.version}_${m.name}`).join(', ');
    expect(known).toMatch(/^001_legacy, 002_multi_provider, 003_trainlytics_core, /);
    for (const to of ['001; drop table users', '001 ', 'latest']) {
      const out = io();
      expect(await run(['--to', to, '--yes', '--force'], out)).toBe(2);
      expect(out.stderr).toBe(
        `trainlytics migrate down: Unknown migration target ${JSON.stringify(to)}: use a version exactly as listed (0 for none, ${known}).\n`,
      );
    }
    expect(await current()).toBe(migrations.at(-1)!.version);
    const up = io();
    expect(await runMigrateCommand(['up', '--force', '--database-url', database.url], up.io)).toBe(2);
    expect(up.stderr).toBe('trainlytics migrate up: --force and --yes only apply to down\n');
  });
});
