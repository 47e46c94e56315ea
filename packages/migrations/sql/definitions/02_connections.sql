-- Trainlytics definitions 02_connections.sql — connections: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 003_trainlytics_core.sql)
-- args: { id?, user_id?, provider?, provider_user_id?, active? } -> array of provider_connections rows, by id.
create or replace function trainlytics_list_connections(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(to_jsonb(c) order by c.id), '[]'::jsonb)
  from provider_connections c
  where (args ->> 'id' is null or c.id = (args ->> 'id')::int)
    and (args ->> 'user_id' is null or c.user_id = (args ->> 'user_id')::int)
    and (args ->> 'provider' is null or c.provider = trainlytics_provider(args ->> 'provider'))
    and (args ->> 'provider_user_id' is null or c.provider_user_id = args ->> 'provider_user_id')
    and (args ->> 'active' is null or c.is_active = (args ->> 'active')::boolean)
$$;

-- (from 003_trainlytics_core.sql)
-- args: { user_id, provider, provider_user_id, access_token, refresh_token, token_expires_at,
--         refresh_token_expires_at, scopes, provider_profile, now } -> the row.
-- Inserts, or updates the user's connection to the provider (a reconnect: tokens, scopes and profile
-- replaced, active again, errors cleared; the sync cursor is kept only for the same provider account).
-- Raises TL001 when the provider account is connected to another user.
create or replace function trainlytics_upsert_connection(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_provider provider_type := trainlytics_require_provider(args ->> 'provider');
  v_now timestamptz := coalesce((args ->> 'now')::timestamptz, now());
  v_row provider_connections;
  v_constraint text;
begin
  insert into provider_connections as c (
    user_id, provider, provider_user_id, access_token, refresh_token, token_expires_at,
    refresh_token_expires_at, scopes, provider_profile, is_active, reauth_required, last_error,
    created_at, updated_at
  ) values (
    (args ->> 'user_id')::int,
    v_provider,
    args ->> 'provider_user_id',
    args ->> 'access_token',
    args ->> 'refresh_token',
    (args ->> 'token_expires_at')::timestamptz,
    (args ->> 'refresh_token_expires_at')::timestamptz,
    trainlytics_text_array(args -> 'scopes'),
    coalesce(nullif(args -> 'provider_profile', 'null'::jsonb), '{}'::jsonb),
    true,
    false,
    null,
    v_now,
    v_now
  )
  on conflict on constraint provider_connections_user_provider_key do update set
    provider_user_id = excluded.provider_user_id,
    access_token = excluded.access_token,
    refresh_token = excluded.refresh_token,
    token_expires_at = excluded.token_expires_at,
    refresh_token_expires_at = excluded.refresh_token_expires_at,
    scopes = excluded.scopes,
    provider_profile = excluded.provider_profile,
    is_active = true,
    reauth_required = false,
    last_error = null,
    sync_cursor = case when c.provider_user_id = excluded.provider_user_id then c.sync_cursor end,
    last_sync_at = case when c.provider_user_id = excluded.provider_user_id then c.last_sync_at end,
    updated_at = excluded.updated_at
  returning * into v_row;
  return to_jsonb(v_row);
exception
  when unique_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'provider_connections_provider_user_key' then
      raise exception using
        errcode = 'TL001',
        message = format('This %s account is already connected to another user', initcap(v_provider::text)),
        detail = format('provider %s, provider user id %s', v_provider, args ->> 'provider_user_id'),
        hint = 'Disconnect it from the other user first, or sign in as that user to reconnect it.';
    end if;
    raise;
  when foreign_key_violation then
    raise exception using
      errcode = 'TL404',
      message = format('No user with id %s: create the users row before connecting a provider', args ->> 'user_id');
end
$$;

-- (from 003_trainlytics_core.sql)
-- args: { id, now, patch: { is_active?, reauth_required?, last_error?, scopes?, provider_profile?,
--         sync_cursor?, last_sync_at? } } -> the row. Only the keys present are written.
create or replace function trainlytics_update_connection(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  p jsonb := coalesce(args -> 'patch', '{}'::jsonb);
  v_row provider_connections;
begin
  update provider_connections c set
    is_active = case when p ? 'is_active' then (p ->> 'is_active')::boolean else c.is_active end,
    reauth_required = case when p ? 'reauth_required' then (p ->> 'reauth_required')::boolean
      else c.reauth_required end,
    last_error = case when p ? 'last_error' then p ->> 'last_error' else c.last_error end,
    scopes = case when p ? 'scopes' then trainlytics_text_array(p -> 'scopes') else c.scopes end,
    provider_profile = case when p ? 'provider_profile'
      then coalesce(nullif(p -> 'provider_profile', 'null'::jsonb), '{}'::jsonb) else c.provider_profile end,
    sync_cursor = case when p ? 'sync_cursor' then nullif(p -> 'sync_cursor', 'null'::jsonb) else c.sync_cursor end,
    last_sync_at = case when p ? 'last_sync_at' then (p ->> 'last_sync_at')::timestamptz else c.last_sync_at end,
    updated_at = coalesce((args ->> 'now')::timestamptz, now())
  where c.id = (args ->> 'id')::int
  returning * into v_row;
  if not found then
    raise exception using errcode = 'TL404', message = format('No connection with id %s', args ->> 'id');
  end if;
  return to_jsonb(v_row);
end
$$;

-- (from 003_trainlytics_core.sql)
-- args: { id, access_token, refresh_token, token_expires_at, refresh_token_expires_at, now,
--         expected_refresh_token? } -> true when written. With expected_refresh_token (which may be
-- null), only when the stored refresh token still equals it (compare-and-set).
create or replace function trainlytics_update_tokens(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  update provider_connections c set
    access_token = args ->> 'access_token',
    refresh_token = args ->> 'refresh_token',
    token_expires_at = (args ->> 'token_expires_at')::timestamptz,
    refresh_token_expires_at = (args ->> 'refresh_token_expires_at')::timestamptz,
    updated_at = coalesce((args ->> 'now')::timestamptz, now())
  where c.id = (args ->> 'id')::int
    and (not (args ? 'expected_refresh_token')
      or c.refresh_token is not distinct from args ->> 'expected_refresh_token');
  return found;
end
$$;

-- (from 010_trainlytics_token_forms.sql)
-- args: {} -> { "encrypted": n, "plaintext": n } over provider_connections' access and refresh tokens
create or replace function trainlytics_token_forms(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select jsonb_build_object(
    'encrypted', count(*) filter (where v.token like 'tl1:%'),
    'plaintext', count(*) filter (where v.token not like 'tl1:%')
  )
  from provider_connections c
  cross join lateral (values (c.access_token), (c.refresh_token)) as v(token)
  where v.token is not null
$$;

commit;
