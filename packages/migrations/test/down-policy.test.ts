import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  listMigrations,
  MigrationDownRefusedError,
  MigrationTargetError,
  migrate,
  migrationsDir,
  planDown,
} from '../src/index.js';
import { kinds, seedLegacy, snapshot, tempMigrationsDir, useTestDatabase } from './helpers.js';

/** A snapshot without what a revert and re-apply legitimately changes (bookkeeping times, activities.updated_at). */
async function durable(db: Parameters<typeof snapshot>[0]): Promise<unknown> {
  const { data } = (await snapshot(db)) as { data: Record<string, string[]> };
  const strip = (rows: string[], keys: string[]) =>
    rows.map((row) => {
      const value = JSON.parse(row) as Record<string, unknown>;
      for (const key of keys) delete value[key];
      return value;
    });
  return {
    ...data,
    trainlytics_migrations: strip(data.trainlytics_migrations ?? [], ['applied_at']),
    trainlytics_definitions: strip(data.trainlytics_definitions ?? [], ['applied_at']),
    activities: strip(data.activities ?? [], ['updated_at']),
    recent_activities: undefined,
  };
}

/** After up: what the legacy schema cannot hold. */
const LOSSY = `
  insert into provider_connections (user_id, provider, provider_user_id, access_token, refresh_token)
  values (3, 'garmin', 'garmin-3', 'garmin-token', 'garmin-secret'),
         (5, 'polar', 'polar-5', 'polar-token', null),
         (2, 'polar', 'polar-2', 'polar-token-2', null);
  update provider_connections set is_active = false where provider = 'strava' and user_id = 2;
  insert into sync_history (connection_id, sync_status) select id, 'success' from provider_connections;
  insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type)
  select user_id, id, provider, 'p-' || id, 'Polar run', 'run' from provider_connections where provider = 'polar';
  insert into trainlytics_webhook_events (provider, event_key) values ('strava', 'k1'), ('polar', 'k2');
`;

describe.each(kinds)('down: lossless or refused, on %s', (kind) => {
  const t = useTestDatabase(kind);

  async function migrated() {
    await migrate(t.input, { to: '001' });
    await seedLegacy(t.db);
    await migrate(t.input);
  }

  it('reverts to 001 without --force when nothing is lost, and up again gives the same data', async () => {
    await migrated();
    const before = await durable(t.db);
    const downFiles = (await listMigrations())
      .filter((m) => m.version !== '001')
      .reverse()
      .map((m) => path.basename(m.downPath!));
    expect(downFiles.slice(-2)).toEqual(['003_trainlytics_core.down.sql', '002_multi_provider.down.sql']);
    // Every down file reports (its guard), and none loses anything of a freshly migrated legacy database.
    expect(await planDown(t.input, { to: '001' })).toEqual({ files: downFiles, losses: [] });
    expect((await migrate(t.input, { direction: 'down', to: '001' })).current).toBe('001');
    await migrate(t.input);
    expect(await durable(t.db)).toEqual(before);
  });

  it('refuses, changing nothing, a down that would lose data, and lists it per table and provider', async () => {
    await migrated();
    await t.db.exec(LOSSY);
    const before = await snapshot(t.db);
    const plan = await planDown(t.input, { to: '001' });
    expect(plan.losses).toEqual([
      {
        file: '003_trainlytics_core.down.sql',
        lost: ['trainlytics_webhook_events: 2 delivery key(s) (redeliveries would be processed again)'],
      },
      {
        file: '002_multi_provider.down.sql',
        lost: [
          'provider_connections: 1 garmin connection(s) with their tokens',
          'provider_connections: 2 polar connection(s) with their tokens',
          'provider_connections: 1 disconnected Strava connection(s) (they would come back active)',
          'sync_history: 6 row(s)',
          'activities: 2 polar activit(ies) would lose their provider link (and be stored twice after reconnecting)',
        ],
      },
    ]);
    const refused = await migrate(t.input, { direction: 'down', to: '001' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MigrationDownRefusedError);
    expect((refused as MigrationDownRefusedError).losses).toEqual(plan.losses);
    expect((refused as Error).message).toMatch(
      /^Refusing to revert: it would lose data \(003_trainlytics_core/,
    );
    expect(await snapshot(t.db)).toEqual(before);

    // One step at a time: the files above 003 lose nothing; 003 is refused.
    expect((await migrate(t.input, { direction: 'down', to: '003' })).current).toBe('003');
    await expect(migrate(t.input, { direction: 'down' })).rejects.toBeInstanceOf(MigrationDownRefusedError);

    const forced = await migrate(t.input, { direction: 'down', to: '001', force: true });
    expect(forced.current).toBe('001');
    expect((await t.rows('select count(*)::int as n from strava_connections'))[0]!.n).toBe(3);
  });

  it('counts Strava connections whose ids the next up would change', async () => {
    await migrated();
    // Bob's connection deleted and made again gets id 4; the next up numbers strava_connections in order:
    // Ana 1, Dan 2 (was 3), Bob 3 (was 4).
    await t.db.exec(`
      delete from provider_connections where user_id = 2;
      delete from strava_connections where user_id = 2;
      insert into provider_connections (user_id, provider, provider_user_id, access_token, refresh_token)
      values (2, 'strava', '1002', 'again', 'again-refresh');
    `);
    const plan = await planDown(t.input, { to: '001' });
    expect(plan.losses).toEqual([
      {
        file: '002_multi_provider.down.sql',
        lost: ['provider_connections: 2 Strava connection id(s) would change on the next up'],
      },
    ]);
  });

  it('accepts only exact known versions as targets', async () => {
    await migrated();
    const before = await snapshot(t.db);
    for (const to of ['001; drop table users', '1.0', ' 001', '001 ', '002_other', '7x', '', '999']) {
      const error = await migrate(t.input, { direction: 'down', to }).catch((e: unknown) => e);
      expect(error, to).toBeInstanceOf(MigrationTargetError);
      await expect(planDown(t.input, { to })).rejects.toBeInstanceOf(MigrationTargetError);
    }
    expect(await snapshot(t.db)).toEqual(before);
    expect((await migrate(t.input, { direction: 'down', to: '005_trainlytics_hardening' })).current).toBe(
      '005',
    );
    expect((await migrate(t.input, { direction: 'down', to: '4' })).current).toBe('004');
    expect((await migrate(t.input, { to: '005' })).current).toBe('005');
  });

  it('a down file pasted by hand refuses the loss too, unless trainlytics.down is force', async () => {
    await migrated();
    await t.db.exec(LOSSY);
    const down = await readFile(path.join(migrationsDir, '002_multi_provider.down.sql'), 'utf8');
    await migrate(t.input, { direction: 'down', to: '002', force: true });
    const before = await snapshot(t.db);
    await expect(t.db.exec(down)).rejects.toThrow(
      /^Reverting 002_multi_provider would lose data: provider_connections: 1 garmin connection/,
    );
    await t.db.exec('rollback');
    expect(await snapshot(t.db)).toEqual(before);
    await t.db.exec(`set trainlytics.down = 'force'`);
    try {
      await t.db.exec(down);
    } finally {
      await t.db.exec('reset trainlytics.down');
    }
    expect((await t.rows(`select to_regclass('provider_connections') as t`))[0]!.t).toBeNull();
  });
});

describe.each(kinds)('a down file without a guard, on %s', (kind) => {
  const t = useTestDatabase(kind);

  it('is run in a rolled-back transaction and what it destroys is counted', async () => {
    const dir = await tempMigrationsDir({
      '003_extra.sql': `begin;
        create table if not exists extra (id int primary key);
        alter table users add column if not exists nickname text;
        commit;`,
      '003_extra.down.sql': `begin;
        delete from users where id = 5;
        alter table users drop column if exists nickname;
        drop table if exists extra;
        drop function if exists no_such_function();
        commit;`,
    });
    await migrate(t.input, { dir, to: '001' });
    await seedLegacy(t.db);
    await migrate(t.input, { dir });
    // An empty table and a column of nulls are no loss; the deleted user (and their activity) is.
    expect((await planDown(t.input, { dir })).losses).toEqual([
      { file: '003_extra.down.sql', lost: ['activities: 1 row(s) deleted', 'users: 1 row(s) deleted'] },
    ]);

    await t.db.exec(
      `update users set nickname = 'Annie' where id = 1; insert into extra values (1), (2), (3);`,
    );
    const before = await snapshot(t.db);
    const plan = await planDown(t.input, { dir });
    expect(plan).toEqual({
      files: ['003_extra.down.sql'],
      losses: [
        {
          file: '003_extra.down.sql',
          lost: [
            'activities: 1 row(s) deleted',
            'extra: 3 row(s) (table dropped)',
            'users: 1 row(s) deleted',
            'users.nickname: 1 value(s) (column dropped)',
          ],
        },
      ],
    });
    await expect(migrate(t.input, { dir, direction: 'down' })).rejects.toBeInstanceOf(
      MigrationDownRefusedError,
    );
    expect(await snapshot(t.db)).toEqual(before);
    expect((await migrate(t.input, { dir, direction: 'down', force: true })).current).toBe('002');
  });
});
