import type { Connection, Trainlytics } from '@trainlytics/core';
import type { ConformanceSandbox } from '@trainlytics/core/testing';

export const REDIRECT_URI = 'https://app.example.com/oauth/callback';

type Queryable = { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> };

export async function createUser(db: Queryable, label = 'athlete'): Promise<number> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const { rows } = await db.query('insert into users (email, first_name) values ($1, $2) returning id', [
    email,
    label,
  ]);
  return Number(rows[0]?.id);
}

/** The whole OAuth flow: start → the sandbox's user approves → finish. */
export async function connectAccount(
  trainlytics: Trainlytics,
  sandbox: ConformanceSandbox,
  providerId: string,
  userId: number,
  providerUserId: string,
): Promise<Connection> {
  const { url } = await trainlytics.connect.start(providerId, { userId, redirectUri: REDIRECT_URI });
  const callback = await sandbox.approve(url, { providerUserId });
  return trainlytics.connect.finish(providerId, { callbackParams: callback.searchParams, userId });
}

/** Rows of a connection, and whether any provider id is stored twice. */
export async function storedStats(
  db: Queryable,
  connectionId: number,
): Promise<{ rows: number; distinct: number }> {
  const { rows } = await db.query(
    'select count(*)::int as n, count(distinct provider_activity_id)::int as d from activities where connection_id = $1',
    [connectionId],
  );
  return { rows: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
}

export async function historyRow(db: Queryable, syncId: number): Promise<Record<string, unknown>> {
  const { rows } = await db.query('select * from sync_history where id = $1', [syncId]);
  if (!rows[0]) throw new Error(`no sync_history row ${syncId}`);
  return rows[0];
}
