import type { Database, DatabaseInput } from './database.js';
import { inTransaction, toDatabase } from './database.js';
import { LegacyDropRefusedError, MigrationError } from './errors.js';
import { type MigrationLogger, withMigrationLock } from './runner.js';

/** One post-migration check. */
export interface VerifyCheck {
  check: string;
  ok: boolean;
  detail: string;
}

const REQUIRED_TABLES = ['users', 'activities', 'provider_connections', 'sync_history', 'workouts'];

async function regclassExists(db: Database, name: string): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>('select to_regclass($1) is not null as present', [
    name,
  ]);
  return rows[0]?.present === true;
}

async function check(name: string, fn: () => Promise<{ ok: boolean; detail: string }>): Promise<VerifyCheck> {
  try {
    return { check: name, ...(await fn()) };
  } catch (error) {
    return { check: name, ok: false, detail: (error as Error).message ?? String(error) };
  }
}

const MISSING_STRAVA_CONNECTIONS = `
  select count(*)::int as missing,
         coalesce(string_agg(sc.strava_athlete_id::text, ', ' order by sc.id), '') as athletes
  from strava_connections sc
  where not exists (
    select 1 from provider_connections pc
    where pc.provider = 'strava' and pc.provider_user_id = sc.strava_athlete_id::text
  )`;

/**
 * The post-migration checks: tables present, every Strava connection migrated
 * (counts equal), no synced activity left unlinked, views and functions answer.
 * Read-only; never throws for a failed check (its row has `ok: false`).
 */
export async function verify(input: DatabaseInput): Promise<VerifyCheck[]> {
  const db = toDatabase(input);
  try {
    const checks: VerifyCheck[] = [];
    const hasLegacy = await regclassExists(db, 'strava_connections');

    checks.push(
      await check('tables present', async () => {
        const missing: string[] = [];
        for (const table of REQUIRED_TABLES) if (!(await regclassExists(db, table))) missing.push(table);
        return missing.length === 0
          ? {
              ok: true,
              detail: `${REQUIRED_TABLES.join(', ')}${hasLegacy ? ', strava_connections (legacy)' : ''}`,
            }
          : { ok: false, detail: `missing: ${missing.join(', ')} (run \`trainlytics migrate up\`)` };
      }),
    );

    checks.push(
      await check('strava connections migrated', async () => {
        const { rows } = await db.query<{ count: number }>(
          `select count(*)::int as count from provider_connections where provider = 'strava'`,
        );
        const migrated = Number(rows[0]?.count ?? 0);
        if (!hasLegacy) {
          return { ok: true, detail: `strava_connections already dropped; ${migrated} Strava connections` };
        }
        const legacy = await db.query<{ count: number }>(
          'select count(*)::int as count from strava_connections',
        );
        const legacyCount = Number(legacy.rows[0]?.count ?? 0);
        const missing = await db.query<{ missing: number; athletes: string }>(MISSING_STRAVA_CONNECTIONS);
        const missingCount = Number(missing.rows[0]?.missing ?? 0);
        const detail = `${legacyCount} in strava_connections, ${migrated} in provider_connections`;
        if (missingCount > 0) {
          return {
            ok: false,
            detail: `${detail}; ${missingCount} not migrated (athlete ids ${truncate(missing.rows[0]!.athletes)})`,
          };
        }
        return {
          ok: true,
          detail:
            migrated === legacyCount
              ? `${detail} (equal)`
              : `${detail} (${migrated - legacyCount} connected since)`,
        };
      }),
    );

    checks.push(
      await check('synced activities linked', async () => {
        const { rows } = await db.query<{ unlinked: number; total: number }>(
          `select count(*) filter (where connection_id is null or provider is null or provider_activity_id is null)::int as unlinked,
                  count(*)::int as total
           from activities where not is_manual and strava_activity_id is not null`,
        );
        const unlinked = Number(rows[0]?.unlinked ?? 0);
        const total = Number(rows[0]?.total ?? 0);
        return unlinked === 0
          ? { ok: true, detail: `all ${total} synced Strava activities linked to a connection` }
          : {
              ok: false,
              detail: `${unlinked} of ${total} synced Strava activities have no connection (their user has no Strava connection, or 002 has not run)`,
            };
      }),
    );

    checks.push(
      await check('views answer', async () => {
        const summary = await db.query<{ count: number }>(
          'select count(*)::int as count from user_connections_summary',
        );
        await db.query('select * from recent_activities limit 1');
        return {
          ok: true,
          detail: `user_connections_summary (${summary.rows[0]?.count ?? 0} users), recent_activities`,
        };
      }),
    );

    checks.push(
      await check('functions answer', async () => {
        await db.query('select get_user_full_name(id) from users order by id limit 1');
        const { rows } = await db.query<{ unknown: boolean | null }>(
          'select is_token_expired(-1) as unknown',
        );
        if (rows[0]?.unknown !== null)
          return { ok: false, detail: 'is_token_expired(unknown id) is not null' };
        await db.query('select is_token_expired(id) from provider_connections order by id limit 1');
        return { ok: true, detail: 'get_user_full_name, is_token_expired' };
      }),
    );
    return checks;
  } finally {
    if (typeof input === 'string') await db.close();
  }
}

function truncate(list: string): string {
  return list.length > 120 ? `${list.slice(0, 117)}…` : list;
}

export interface DropLegacyResult {
  dropped: boolean;
  detail: string;
}

/**
 * Drops the legacy `strava_connections` table, but only once every one of its
 * rows has a matching `provider_connections` row; otherwise throws a
 * {@link LegacyDropRefusedError} and changes nothing.
 */
export async function dropLegacy(
  input: DatabaseInput,
  options: { logger?: MigrationLogger } = {},
): Promise<DropLegacyResult> {
  const database = toDatabase(input);
  try {
    return await withMigrationLock(database, options.logger, async (db) => {
      if (!(await regclassExists(db, 'strava_connections'))) {
        return { dropped: false, detail: 'strava_connections does not exist (already dropped).' };
      }
      if (!(await regclassExists(db, 'provider_connections'))) {
        throw new LegacyDropRefusedError(
          'Refusing to drop strava_connections: provider_connections does not exist. Run `trainlytics migrate up` first.',
        );
      }
      try {
        return await inTransaction(db, async (tx) => {
          // Block writers to strava_connections while we check and drop.
          await tx.exec('lock table strava_connections in access exclusive mode');
          const { rows } = await tx.query<{ missing: number; athletes: string }>(MISSING_STRAVA_CONNECTIONS);
          const missing = Number(rows[0]?.missing ?? 0);
          if (missing > 0) {
            throw new LegacyDropRefusedError(
              `Refusing to drop strava_connections: ${missing} row(s) have no matching provider_connections row ` +
                `(athlete ids ${truncate(rows[0]!.athletes)}). Run \`trainlytics migrate up\` (or re-run ` +
                '002_multi_provider.sql) and `trainlytics migrate verify` first.',
            );
          }
          const count = await tx.query<{ count: number }>(
            'select count(*)::int as count from strava_connections',
          );
          await tx.exec('drop table strava_connections');
          return {
            dropped: true,
            detail: `Dropped strava_connections (${count.rows[0]?.count ?? 0} rows, all present in provider_connections).`,
          };
        });
      } catch (error) {
        if (error instanceof MigrationError) throw error;
        throw new MigrationError(`Could not drop strava_connections: ${(error as Error).message}`, {
          cause: error,
        });
      }
    });
  } finally {
    if (typeof input === 'string') await database.close();
  }
}
