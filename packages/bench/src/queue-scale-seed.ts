/**
 * `n` users and Strava connections inserted set-based (`generate_series`), their last syncs spread evenly
 * over the last `spreadMs` (a steady state: about `n × tickMs / spreadMs` fall due each tick) — or never
 * synced when `spreadMs` is 0. Tokens are placeholders: nothing here calls the provider.
 */
export async function seedConnections(
  database: { query(text: string, values?: unknown[]): Promise<unknown> },
  options: { n: number; now: Date; spreadMs: number },
): Promise<void> {
  await database.query(
    `insert into users (email) select 'scale' || i || '@bench.test' from generate_series(1, $1) i`,
    [options.n],
  );
  await database.query(
    `insert into provider_connections (user_id, provider, provider_user_id, access_token, refresh_token,
        token_expires_at, scopes, last_sync_at, sync_cursor)
     select u.id, 'strava', (90000000 + u.id)::text, 'access-' || u.id, 'refresh-' || u.id,
            $1::timestamptz + interval '6 hours', '{read,activity:read_all}',
            case when $2::bigint = 0 then null
                 else $1::timestamptz - (u.n * ($2::bigint / $3::float8)) * interval '1 millisecond' end,
            jsonb_build_object('v', 1, 'after', 0)
       from (select id, row_number() over (order by id) - 1 as n from users
              where email like 'scale%@bench.test') u`,
    [options.now.toISOString(), options.spreadMs, options.n],
  );
  await database.query('analyze users');
  await database.query('analyze provider_connections');
}
