-- Trainlytics 003 — the SDK's own tables and the store functions.
--
-- The stores of @trainlytics/core (`postgresStore` over node-postgres or PGlite,
-- `supabaseStore` over supabase-js `.rpc()`) are thin: every read and write is
-- one call of a `trainlytics_*` function below, so both run the same SQL (see
-- docs/decisions/0002-store-sql-functions.md).
--
-- * Every function takes one `args jsonb` object (snake_case keys) and returns
--   jsonb (rows as `to_jsonb(row)`), boolean or int. Instants are ISO-8601
--   strings; `now` is passed by the caller (its injected clock).
-- * Errors the SDK turns into typed errors use their own SQLSTATEs:
--     TL001  the provider account is connected to another user
--            (ConnectionConflictError)
--     TL404  the connection / sync does not exist (NotFoundError)
--     TL422  an unknown provider value (add it to provider_type first)
-- * Security: RLS is on for the new tables and nothing is granted to `anon` /
--   `authenticated`; EXECUTE on the functions is revoked from PUBLIC (and from
--   `anon` / `authenticated`) and granted to `service_role` where it exists.
--   Call them as the table owner or with Supabase's service-role key only.
-- * One transaction, idempotent: running it again changes nothing.
--
-- Run it with `trainlytics migrate up`, `psql -f`, or paste it into the
-- Supabase SQL editor. Reverse it with 003_trainlytics_core.down.sql.

begin;

set local client_min_messages = warning;

do $$
begin
  if to_regclass('provider_connections') is null or to_regclass('sync_history') is null then
    raise exception 'Trainlytics migration 003_trainlytics_core needs the multi-provider schema, but this database has no provider_connections/sync_history table. Run 001_legacy.sql and 002_multi_provider.sql first (`trainlytics migrate up` applies them in order).'
      using hint = 'Check that you are connected to the right database and schema (search_path).';
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------

-- Pending authorizations: single use (deleted when consumed), expiring.
create table if not exists trainlytics_oauth_states (
  state text primary key,
  provider provider_type not null,
  user_id int not null references users on delete cascade,
  redirect_uri text not null,
  code_verifier text,
  scopes text[] not null default '{}',
  return_to text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index if not exists trainlytics_oauth_states_expires_idx on trainlytics_oauth_states (expires_at);

-- Cross-process mutual exclusion (a connection's sync, a token refresh).
create table if not exists trainlytics_leases (
  key text primary key,
  owner text not null,
  expires_at timestamptz not null
);

-- Webhook deliveries already seen (providers redeliver).
create table if not exists trainlytics_webhook_events (
  provider provider_type not null,
  event_key text not null,
  received_at timestamptz not null default now(),
  primary key (provider, event_key)
);
create index if not exists trainlytics_webhook_events_received_idx on trainlytics_webhook_events (received_at);

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

-- A provider_type from text; null when the value is not (yet) in the enum.
create or replace function trainlytics_provider(value text)
returns provider_type
language sql
stable
set search_path from current
as $$
  select e from unnest(enum_range(null::provider_type)) as e where e::text = value
$$;

-- Like trainlytics_provider, but raises TL422 for an unknown value.
create or replace function trainlytics_require_provider(value text)
returns provider_type
language plpgsql
stable
set search_path from current
as $$
declare
  result provider_type := trainlytics_provider(value);
begin
  if result is null then
    raise exception using
      errcode = 'TL422',
      message = format('Unknown provider %L: the provider_type enum has no such value', value),
      hint = format('Add it with: ALTER TYPE provider_type ADD VALUE %L;', value);
  end if;
  return result;
end
$$;

-- A text[] from a JSON array of strings ('{}' for anything else).
create or replace function trainlytics_text_array(value jsonb)
returns text[]
language sql
immutable
set search_path from current
as $$
  select case when jsonb_typeof(value) = 'array'
    then array(select jsonb_array_elements_text(value))
    else '{}'::text[]
  end
$$;

-- An activities row as JSON (the legacy bigint strava_activity_id as text: Strava ids exceed 2^53).
create or replace function trainlytics_activity_json(a activities)
returns jsonb
language sql
stable
set search_path from current
as $$
  select (to_jsonb(a) - 'strava_activity_id') || jsonb_build_object('strava_activity_id', a.strava_activity_id::text)
$$;

-- ---------------------------------------------------------------------------
-- Connections
-- ---------------------------------------------------------------------------

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

-- ---------------------------------------------------------------------------
-- OAuth states
-- ---------------------------------------------------------------------------

-- args: { state, provider, user_id, redirect_uri, code_verifier, scopes, return_to, created_at, expires_at }
create or replace function trainlytics_save_oauth_state(args jsonb)
returns void
language sql
volatile
set search_path from current
as $$
  insert into trainlytics_oauth_states (
    state, provider, user_id, redirect_uri, code_verifier, scopes, return_to, created_at, expires_at
  ) values (
    args ->> 'state',
    trainlytics_require_provider(args ->> 'provider'),
    (args ->> 'user_id')::int,
    args ->> 'redirect_uri',
    args ->> 'code_verifier',
    trainlytics_text_array(args -> 'scopes'),
    args ->> 'return_to',
    coalesce((args ->> 'created_at')::timestamptz, now()),
    (args ->> 'expires_at')::timestamptz
  )
$$;

-- args: { state } -> the deleted row, or null (unknown or already used). Single use, atomically.
create or replace function trainlytics_consume_oauth_state(args jsonb)
returns jsonb
language sql
volatile
set search_path from current
as $$
  with consumed as (
    delete from trainlytics_oauth_states s where s.state = args ->> 'state' returning s.*
  )
  select to_jsonb(consumed) from consumed
$$;

-- args: { now } -> how many expired states were deleted.
create or replace function trainlytics_delete_expired_oauth_states(args jsonb)
returns int
language sql
volatile
set search_path from current
as $$
  with deleted as (
    delete from trainlytics_oauth_states s
    where s.expires_at <= coalesce((args ->> 'now')::timestamptz, now())
    returning 1
  )
  select count(*)::int from deleted
$$;

-- ---------------------------------------------------------------------------
-- Sync history
-- ---------------------------------------------------------------------------

-- args: { connection_id, sync_type, cursor_before, now } -> the new 'running' sync_history row.
create or replace function trainlytics_start_sync(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_row sync_history;
begin
  insert into sync_history (connection_id, sync_type, sync_started_at, sync_status, cursor_before)
  values (
    (args ->> 'connection_id')::int,
    coalesce(args ->> 'sync_type', 'incremental'),
    coalesce((args ->> 'now')::timestamptz, now()),
    'running',
    nullif(args -> 'cursor_before', 'null'::jsonb)
  )
  returning * into v_row;
  return to_jsonb(v_row);
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'TL404', message = format('No connection with id %s', args ->> 'connection_id');
end
$$;

-- args: { connection_id, sync_id (may be null), activities: [...], deleted_ids: [...], rejected: [...],
--         cursor? (written when the key is present), requests_made, now }
-- -> { created, updated, deleted }. One transaction (one function call):
--   * upserts the activities on (provider, provider_activity_id); a row whose values are all unchanged
--     is not written and counts neither as created nor updated; legacy rows get linked to the connection;
--   * deletes the connection's activities whose provider ids are in deleted_ids;
--   * appends the rejections to sync_history.errors (the stored array is capped at 100 entries;
--     activities_rejected counts them all) and adds the counts and requests to the sync row;
--   * sets the connection's sync_cursor (when given) and updated_at.
create or replace function trainlytics_commit_page(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_now timestamptz := coalesce((args ->> 'now')::timestamptz, now());
  v_connection provider_connections;
  v_sync_id int := (args ->> 'sync_id')::int;
  v_created int := 0;
  v_updated int := 0;
  v_deleted int := 0;
  v_rejected jsonb := case when jsonb_typeof(args -> 'rejected') = 'array' then args -> 'rejected'
    else '[]'::jsonb end;
begin
  select * into v_connection from provider_connections c where c.id = (args ->> 'connection_id')::int;
  if not found then
    raise exception using errcode = 'TL404', message = format('No connection with id %s', args ->> 'connection_id');
  end if;

  if jsonb_typeof(args -> 'activities') = 'array' and jsonb_array_length(args -> 'activities') > 0 then
    with input as (
      -- the last occurrence wins when a page lists an activity twice
      select distinct on (x.provider_activity_id) x.*
      from jsonb_array_elements(args -> 'activities') with ordinality as e(value, ord)
      cross join lateral jsonb_to_record(e.value) as x(
        provider_activity_id text, name text, sport_type text, provider_sport_type text,
        start_date timestamptz, start_date_local timestamp, utc_offset_s numeric, elapsed_time_s numeric,
        moving_time_s numeric, distance_m double precision, total_elevation_gain_m double precision,
        average_heartrate double precision, max_heartrate double precision, calories double precision,
        average_speed_mps double precision, max_speed_mps double precision, is_manual boolean,
        device_name text, raw jsonb
      )
      order by x.provider_activity_id, e.ord desc
    ),
    upserted as (
      insert into activities as a (
        user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type,
        start_date, start_date_local, utc_offset_s, elapsed_time_s, moving_time_s, distance_m,
        total_elevation_gain_m, average_heartrate, max_heartrate, calories, average_speed_mps,
        max_speed_mps, is_manual, device_name, raw, created_at, updated_at
      )
      select
        v_connection.user_id, v_connection.id, v_connection.provider, i.provider_activity_id, i.name,
        i.sport_type, i.provider_sport_type, i.start_date, i.start_date_local, round(i.utc_offset_s)::int,
        round(i.elapsed_time_s)::int, round(i.moving_time_s)::int, i.distance_m, i.total_elevation_gain_m,
        i.average_heartrate, i.max_heartrate, i.calories, i.average_speed_mps, i.max_speed_mps,
        coalesce(i.is_manual, false), i.device_name, i.raw, v_now, v_now
      from input i
      where i.provider_activity_id is not null
      on conflict on constraint activities_provider_activity_key do update set
        user_id = excluded.user_id,
        connection_id = excluded.connection_id,
        name = excluded.name,
        sport_type = excluded.sport_type,
        provider_sport_type = excluded.provider_sport_type,
        start_date = excluded.start_date,
        start_date_local = excluded.start_date_local,
        utc_offset_s = excluded.utc_offset_s,
        elapsed_time_s = excluded.elapsed_time_s,
        moving_time_s = excluded.moving_time_s,
        distance_m = excluded.distance_m,
        total_elevation_gain_m = excluded.total_elevation_gain_m,
        average_heartrate = excluded.average_heartrate,
        max_heartrate = excluded.max_heartrate,
        calories = excluded.calories,
        average_speed_mps = excluded.average_speed_mps,
        max_speed_mps = excluded.max_speed_mps,
        is_manual = excluded.is_manual,
        device_name = excluded.device_name,
        raw = excluded.raw,
        updated_at = excluded.updated_at
      where (a.user_id, a.connection_id, a.name, a.sport_type, a.provider_sport_type, a.start_date,
             a.start_date_local, a.utc_offset_s, a.elapsed_time_s, a.moving_time_s, a.distance_m,
             a.total_elevation_gain_m, a.average_heartrate, a.max_heartrate, a.calories,
             a.average_speed_mps, a.max_speed_mps, a.is_manual, a.device_name, a.raw)
        is distinct from
            (excluded.user_id, excluded.connection_id, excluded.name, excluded.sport_type,
             excluded.provider_sport_type, excluded.start_date, excluded.start_date_local,
             excluded.utc_offset_s, excluded.elapsed_time_s, excluded.moving_time_s, excluded.distance_m,
             excluded.total_elevation_gain_m, excluded.average_heartrate, excluded.max_heartrate,
             excluded.calories, excluded.average_speed_mps, excluded.max_speed_mps, excluded.is_manual,
             excluded.device_name, excluded.raw)
      returning (a.xmax = 0) as inserted
    )
    select
      (count(*) filter (where u.inserted))::int,
      (count(*) filter (where not u.inserted))::int
    into v_created, v_updated
    from upserted u;
  end if;

  if jsonb_typeof(args -> 'deleted_ids') = 'array' and jsonb_array_length(args -> 'deleted_ids') > 0 then
    delete from activities a
    where a.provider = v_connection.provider
      and a.provider_activity_id = any (trainlytics_text_array(args -> 'deleted_ids'))
      and (a.connection_id = v_connection.id
        or (a.connection_id is null and a.user_id = v_connection.user_id));
    get diagnostics v_deleted = row_count;
  end if;

  if v_sync_id is not null then
    update sync_history h set
      activities_created = h.activities_created + v_created,
      activities_updated = h.activities_updated + v_updated,
      activities_deleted = h.activities_deleted + v_deleted,
      activities_rejected = h.activities_rejected + jsonb_array_length(v_rejected),
      requests_made = h.requests_made + coalesce((args ->> 'requests_made')::int, 0),
      errors = case
        when jsonb_array_length(v_rejected) = 0 or jsonb_array_length(h.errors) >= 100 then h.errors
        else (
          select coalesce(jsonb_agg(e.value order by e.ordinality), '[]'::jsonb)
          from jsonb_array_elements(h.errors || v_rejected) with ordinality as e(value, ordinality)
          where e.ordinality <= 100
        )
      end,
      cursor_after = case when args ? 'cursor' then nullif(args -> 'cursor', 'null'::jsonb) else h.cursor_after end
    where h.id = v_sync_id and h.connection_id = v_connection.id;
    if not found then
      raise exception using
        errcode = 'TL404',
        message = format('No sync with id %s for connection %s', v_sync_id, v_connection.id);
    end if;
  end if;

  update provider_connections c set
    sync_cursor = case when args ? 'cursor' then nullif(args -> 'cursor', 'null'::jsonb) else c.sync_cursor end,
    updated_at = v_now
  where c.id = v_connection.id;

  return jsonb_build_object('created', v_created, 'updated', v_updated, 'deleted', v_deleted);
end
$$;

-- args: { id, status, completed_at, error_name?, error_message?, requests_made? } -> the row.
create or replace function trainlytics_finish_sync(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_row sync_history;
begin
  update sync_history h set
    sync_status = (args ->> 'status')::sync_status,
    sync_completed_at = coalesce((args ->> 'completed_at')::timestamptz, now()),
    error_name = args ->> 'error_name',
    error_message = args ->> 'error_message',
    requests_made = h.requests_made + coalesce((args ->> 'requests_made')::int, 0)
  where h.id = (args ->> 'id')::int
  returning * into v_row;
  if not found then
    raise exception using errcode = 'TL404', message = format('No sync with id %s', args ->> 'id');
  end if;
  return to_jsonb(v_row);
end
$$;

-- args: { connection_id, message, now } -> how many 'running' rows were closed as failed.
create or replace function trainlytics_fail_running_syncs(args jsonb)
returns int
language plpgsql
volatile
set search_path from current
as $$
declare
  v_count int;
begin
  update sync_history h set
    sync_status = 'failed',
    sync_completed_at = coalesce((args ->> 'now')::timestamptz, now()),
    error_message = args ->> 'message'
  where h.connection_id = (args ->> 'connection_id')::int and h.sync_status = 'running';
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- args: { id, connection_id?, user_id?, limit? } -> array of sync_history rows, newest first.
create or replace function trainlytics_list_syncs(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(to_jsonb(h) order by h.sync_started_at desc, h.id desc), '[]'::jsonb)
  from (
    select h.*
    from sync_history h
    where (args ->> 'id' is null or h.id = (args ->> 'id')::int)
      and (args ->> 'connection_id' is null or h.connection_id = (args ->> 'connection_id')::int)
      and (args ->> 'user_id' is null or h.connection_id in (
        select c.id from provider_connections c where c.user_id = (args ->> 'user_id')::int
      ))
    order by h.sync_started_at desc, h.id desc
    limit (args ->> 'limit')::int
  ) h
$$;

-- ---------------------------------------------------------------------------
-- Activities
-- ---------------------------------------------------------------------------

-- args: { user_id?, connection_id?, provider?, before?, limit? } -> array of activities rows, newest
-- start first (then highest id); `before` keeps only activities starting before that instant.
create or replace function trainlytics_list_activities(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(s.activity order by s.start_date desc nulls last, s.id desc), '[]'::jsonb)
  from (
    select trainlytics_activity_json(a) as activity, a.start_date, a.id
    from activities a
    where (args ->> 'user_id' is null or a.user_id = (args ->> 'user_id')::int)
      and (args ->> 'connection_id' is null or a.connection_id = (args ->> 'connection_id')::int)
      and (args ->> 'provider' is null or a.provider = trainlytics_provider(args ->> 'provider'))
      and (args ->> 'before' is null or a.start_date < (args ->> 'before')::timestamptz)
    order by a.start_date desc nulls last, a.id desc
    limit (args ->> 'limit')::int
  ) s
$$;

-- args: { user_id?, connection_id?, provider? } -> how many activities match.
create or replace function trainlytics_count_activities(args jsonb default '{}')
returns int
language sql
stable
set search_path from current
as $$
  select count(*)::int
  from activities a
  where (args ->> 'user_id' is null or a.user_id = (args ->> 'user_id')::int)
    and (args ->> 'connection_id' is null or a.connection_id = (args ->> 'connection_id')::int)
    and (args ->> 'provider' is null or a.provider = trainlytics_provider(args ->> 'provider'))
$$;

-- ---------------------------------------------------------------------------
-- Leases and webhook deduplication
-- ---------------------------------------------------------------------------

-- args: { key, owner, expires_at, now } -> true when `owner` holds the lease until expires_at
-- (it was free, expired, or already this owner's: re-acquiring extends it).
create or replace function trainlytics_acquire_lease(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  insert into trainlytics_leases as l (key, owner, expires_at)
  values (args ->> 'key', args ->> 'owner', (args ->> 'expires_at')::timestamptz)
  on conflict (key) do update set owner = excluded.owner, expires_at = excluded.expires_at
  where l.expires_at <= coalesce((args ->> 'now')::timestamptz, now()) or l.owner = excluded.owner;
  return found;
end
$$;

-- args: { key, owner } -> true when the owner's lease was released (another owner's is left alone).
create or replace function trainlytics_release_lease(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  delete from trainlytics_leases l where l.key = args ->> 'key' and l.owner = args ->> 'owner';
  return found;
end
$$;

-- args: { provider, event_key, now } -> true the first time a delivery key is seen, false after.
create or replace function trainlytics_record_webhook_event(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  insert into trainlytics_webhook_events (provider, event_key, received_at)
  values (
    trainlytics_require_provider(args ->> 'provider'),
    args ->> 'event_key',
    coalesce((args ->> 'now')::timestamptz, now())
  )
  on conflict do nothing;
  return found;
end
$$;

-- ---------------------------------------------------------------------------
-- Row level security and privileges
-- ---------------------------------------------------------------------------
alter table trainlytics_oauth_states enable row level security;
alter table trainlytics_leases enable row level security;
alter table trainlytics_webhook_events enable row level security;

do $$
declare
  fn regprocedure;
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format(
        'revoke all on trainlytics_oauth_states, trainlytics_leases, trainlytics_webhook_events from %I',
        role_name
      );
    end if;
  end loop;

  for fn in
    select p.oid::regprocedure
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = current_schema()
      and p.proname = any (array[
        'trainlytics_provider', 'trainlytics_require_provider', 'trainlytics_text_array',
        'trainlytics_activity_json', 'trainlytics_list_connections', 'trainlytics_upsert_connection',
        'trainlytics_update_connection', 'trainlytics_update_tokens', 'trainlytics_save_oauth_state',
        'trainlytics_consume_oauth_state', 'trainlytics_delete_expired_oauth_states',
        'trainlytics_start_sync', 'trainlytics_commit_page', 'trainlytics_finish_sync',
        'trainlytics_fail_running_syncs', 'trainlytics_list_syncs', 'trainlytics_list_activities',
        'trainlytics_count_activities', 'trainlytics_acquire_lease', 'trainlytics_release_lease',
        'trainlytics_record_webhook_event'
      ])
  loop
    execute format('revoke execute on function %s from public', fn);
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke execute on function %s from %I', fn, role_name);
      end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;

  -- supabaseStore uses the service-role key: it needs the tables too (it bypasses RLS).
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant select, insert, update, delete on trainlytics_oauth_states, trainlytics_leases,
      trainlytics_webhook_events to service_role;
  end if;
end
$$;

commit;
