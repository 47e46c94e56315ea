-- Trainlytics 002 — from the legacy single-provider (Strava) schema to the
-- multi-provider schema.
--
-- * One transaction: it applies completely or not at all.
-- * Idempotent: running it again changes nothing and raises nothing. Every
--   object is created only when missing and every data step only touches rows
--   that still need it, so a re-run never overwrites newer token data.
-- * Set-based: no row-by-row loops, so it migrates millions of activities in
--   seconds (see BENCHMARKS.md).
-- * Keeps the legacy data: strava_connections stays (drop it with
--   `trainlytics migrate drop-legacy` once `verify` passes), activities keep
--   strava_activity_id, and the original Strava sport name is kept in
--   activities.provider_sport_type.
-- * Adding a provider later is only `ALTER TYPE provider_type ADD VALUE '...'`:
--   nothing in this file branches on provider values.
--
-- Run it with `trainlytics migrate up`, `psql -f`, or paste it into the
-- Supabase SQL editor. Reverse it with 002_multi_provider.down.sql.

begin;

set local client_min_messages = warning;

-- 002 builds on the legacy schema: fail with an actionable message instead of
-- a cryptic "relation does not exist" half-way through. (SQLSTATE TLM01; the
-- runner turns it into a LegacySchemaMissingError.)
do $$
declare
  missing text;
begin
  select string_agg(t, ', ') into missing
  from unnest(array['users', 'activities']) as t
  where to_regclass(t) is null;
  if missing is not null then
    raise exception 'Trainlytics migration 002_multi_provider needs the legacy schema, but this database has no % table. Run 001_legacy.sql first (`trainlytics migrate up` applies 001 before 002).', missing
      using errcode = 'TLM01',
            hint = 'Check that you are connected to the right database and schema (search_path).';
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------
do $$
begin
  if not exists (
    select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where t.typname = 'provider_type' and n.nspname = current_schema()
  ) then
    create type provider_type as enum ('strava', 'garmin', 'polar');
  end if;
  if not exists (
    select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where t.typname = 'sync_status' and n.nspname = current_schema()
  ) then
    create type sync_status as enum ('running', 'success', 'failed', 'cancelled');
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- provider_connections: one row per (user, provider)
-- ---------------------------------------------------------------------------
create table if not exists provider_connections (
  id serial primary key,
  user_id int not null references users on delete cascade,
  provider provider_type not null,
  provider_user_id text not null,
  access_token text not null,
  refresh_token text,
  token_expires_at timestamptz,            -- null: the token never expires
  refresh_token_expires_at timestamptz,
  scopes text[] not null default '{}',
  provider_profile jsonb not null default '{}',
  is_active boolean not null default true,
  reauth_required boolean not null default false,
  last_error text,
  last_sync_at timestamptz,
  sync_cursor jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint provider_connections_user_provider_key unique (user_id, provider),
  constraint provider_connections_provider_user_key unique (provider, provider_user_id)
);

-- Copy the legacy Strava connections. Only rows that have no counterpart yet
-- are inserted (matched by user or by athlete), so a re-run neither duplicates
-- rows nor overwrites tokens the SDK has refreshed since.
do $$
declare
  duplicated text;
begin
  if to_regclass('strava_connections') is null then
    return; -- already dropped by `trainlytics migrate drop-legacy`
  end if;

  select string_agg(user_id::text, ', ' order by user_id) into duplicated
  from (
    select sc.user_id from strava_connections sc
    where not exists (
      select 1 from provider_connections pc
      where pc.provider = 'strava' and pc.provider_user_id = sc.strava_athlete_id::text
    )
    group by sc.user_id having count(*) > 1
    order by sc.user_id limit 20
  ) d;
  if duplicated is not null then
    raise exception 'Trainlytics migration 002_multi_provider: strava_connections has several rows for user id(s) %, but provider_connections keeps one Strava connection per user.', duplicated
      using errcode = 'TLM02',
            hint = 'Delete the stale strava_connections rows of those users (keep the newest) and run the migration again.';
  end if;

  insert into provider_connections (
    user_id, provider, provider_user_id, access_token, refresh_token, token_expires_at,
    scopes, provider_profile, created_at, updated_at
  )
  select
    sc.user_id,
    'strava',
    sc.strava_athlete_id::text,
    sc.access_token,
    sc.refresh_token,
    sc.expires_at,
    coalesce(string_to_array(nullif(sc.scope, ''), ','), '{}'),
    jsonb_build_object(
      'firstname', sc.firstname,
      'lastname', sc.lastname,
      'profile_url', sc.profile_url,
      'profile_picture', sc.profile_picture
    ),
    sc.created_at,
    sc.updated_at
  from strava_connections sc
  where not exists (
    select 1 from provider_connections pc
    where pc.provider = 'strava'
      and (pc.user_id = sc.user_id or pc.provider_user_id = sc.strava_athlete_id::text)
  )
  order by sc.id
  on conflict do nothing;
end
$$;

-- ---------------------------------------------------------------------------
-- sync_history: one row per sync run
-- ---------------------------------------------------------------------------
create table if not exists sync_history (
  id serial primary key,
  connection_id int not null references provider_connections on delete cascade,
  sync_type text not null default 'incremental'
    constraint sync_history_sync_type_check check (sync_type in ('incremental', 'full', 'webhook')),
  sync_started_at timestamptz not null default now(),
  sync_completed_at timestamptz,
  sync_status sync_status not null default 'running',
  activities_created int not null default 0,
  activities_updated int not null default 0,
  activities_deleted int not null default 0,
  activities_rejected int not null default 0,
  requests_made int not null default 0,
  error_name text,
  error_message text,
  errors jsonb not null default '[]',
  cursor_before jsonb,
  cursor_after jsonb
);

-- ---------------------------------------------------------------------------
-- activities: provider link + normalized columns
-- ---------------------------------------------------------------------------
alter table activities
  add column if not exists connection_id int, -- foreign key added after the update (see below)
  add column if not exists provider provider_type,
  add column if not exists provider_activity_id text,
  add column if not exists provider_sport_type text,   -- the provider's own sport name
  add column if not exists start_date_local timestamp, -- local wall-clock time, no time zone
  add column if not exists utc_offset_s int,
  add column if not exists max_heartrate double precision,
  add column if not exists calories double precision,
  add column if not exists average_speed_mps double precision,
  add column if not exists max_speed_mps double precision,
  add column if not exists device_name text,
  add column if not exists updated_at timestamptz not null default now();

-- Link and normalize the legacy rows in one pass. `target` computes, for every
-- row, the values it should have; only rows whose values differ are updated,
-- so a re-run touches nothing. Values already present always win (coalesce),
-- and sport_type is only normalized while it is not yet in the normalized
-- vocabulary (the original Strava name moves to provider_sport_type).
--
-- Strava SportType -> normalized sport_type. EMountainBikeRide maps to
-- e_bike_ride (the motor matters more than the terrain for training load).
-- Unknown names map to 'other'; the original stays in provider_sport_type.
with vocabulary(sport_types) as (
  select array[
    'run', 'trail_run', 'treadmill_run', 'virtual_run', 'ride', 'mountain_bike_ride', 'gravel_ride',
    'indoor_ride', 'virtual_ride', 'e_bike_ride', 'swim', 'open_water_swim', 'walk', 'hike', 'rowing',
    'indoor_rowing', 'strength_training', 'yoga', 'cross_country_ski', 'alpine_ski', 'elliptical', 'hiit', 'other'
  ]
),
source as (
  select
    a.*,
    a.strava_activity_id is not null and (a.provider is null or a.provider = 'strava') as is_legacy_strava,
    a.provider_sport_type is null and a.sport_type is not null
      and a.sport_type <> all (v.sport_types) as needs_sport_type,
    pc.id as strava_connection_id
  from activities a
  cross join vocabulary v
  left join provider_connections pc on pc.user_id = a.user_id and pc.provider = 'strava'
),
computed as (
  select
    s.id,
    s.provider, s.provider_activity_id, s.connection_id, s.provider_sport_type, s.sport_type,
    s.start_date_local, s.utc_offset_s, s.max_heartrate, s.calories, s.average_speed_mps,
    s.max_speed_mps, s.device_name,
    coalesce(s.provider, case when s.is_legacy_strava then 'strava'::provider_type end) as new_provider,
    coalesce(s.provider_activity_id, case when s.is_legacy_strava then s.strava_activity_id::text end)
      as new_provider_activity_id,
    coalesce(s.connection_id, case when s.is_legacy_strava then s.strava_connection_id end) as new_connection_id,
    case when s.needs_sport_type then s.sport_type else s.provider_sport_type end as new_provider_sport_type,
    case when not s.needs_sport_type then s.sport_type else
      case s.sport_type
        when 'Run' then 'run'
        when 'TrailRun' then 'trail_run'
        when 'VirtualRun' then 'virtual_run'
        when 'Ride' then 'ride'
        when 'MountainBikeRide' then 'mountain_bike_ride'
        when 'EMountainBikeRide' then 'e_bike_ride'
        when 'GravelRide' then 'gravel_ride'
        when 'VirtualRide' then 'virtual_ride'
        when 'EBikeRide' then 'e_bike_ride'
        when 'Swim' then 'swim'
        when 'Walk' then 'walk'
        when 'Hike' then 'hike'
        when 'Rowing' then 'rowing'
        when 'VirtualRow' then 'indoor_rowing'
        when 'WeightTraining' then 'strength_training'
        when 'Crossfit' then 'strength_training'
        when 'Yoga' then 'yoga'
        when 'Pilates' then 'yoga'
        when 'NordicSki' then 'cross_country_ski'
        when 'BackcountrySki' then 'cross_country_ski'
        when 'RollerSki' then 'cross_country_ski'
        when 'AlpineSki' then 'alpine_ski'
        when 'Snowboard' then 'alpine_ski'
        when 'Elliptical' then 'elliptical'
        when 'HighIntensityIntervalTraining' then 'hiit'
        else 'other'
      end
    end as new_sport_type,
    -- Strava's start_date_local is wall-clock time wrongly suffixed with "Z".
    coalesce(s.start_date_local, case
      when jsonb_typeof(s.raw -> 'start_date_local') = 'string'
        and s.raw ->> 'start_date_local' ~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$'
      then rtrim(s.raw ->> 'start_date_local', 'Z')::timestamp
    end) as new_start_date_local,
    coalesce(s.utc_offset_s, case when jsonb_typeof(s.raw -> 'utc_offset') = 'number'
      then round((s.raw ->> 'utc_offset')::numeric)::int end) as new_utc_offset_s,
    coalesce(s.max_heartrate, case when jsonb_typeof(s.raw -> 'max_heartrate') = 'number'
      then (s.raw ->> 'max_heartrate')::double precision end) as new_max_heartrate,
    coalesce(s.calories, case when jsonb_typeof(s.raw -> 'calories') = 'number'
      then (s.raw ->> 'calories')::double precision end) as new_calories,
    coalesce(s.average_speed_mps, case when jsonb_typeof(s.raw -> 'average_speed') = 'number'
      then (s.raw ->> 'average_speed')::double precision end) as new_average_speed_mps,
    coalesce(s.max_speed_mps, case when jsonb_typeof(s.raw -> 'max_speed') = 'number'
      then (s.raw ->> 'max_speed')::double precision end) as new_max_speed_mps,
    coalesce(s.device_name, case when jsonb_typeof(s.raw -> 'device_name') = 'string'
      then s.raw ->> 'device_name' end) as new_device_name
  from source s
),
target as (
  select * from computed c
  where (c.provider, c.provider_activity_id, c.connection_id, c.provider_sport_type, c.sport_type,
         c.start_date_local, c.utc_offset_s, c.max_heartrate, c.calories, c.average_speed_mps,
         c.max_speed_mps, c.device_name)
    is distinct from
        (c.new_provider, c.new_provider_activity_id, c.new_connection_id, c.new_provider_sport_type,
         c.new_sport_type, c.new_start_date_local, c.new_utc_offset_s, c.new_max_heartrate, c.new_calories,
         c.new_average_speed_mps, c.new_max_speed_mps, c.new_device_name)
)
update activities a set
  provider = t.new_provider,
  provider_activity_id = t.new_provider_activity_id,
  connection_id = t.new_connection_id,
  provider_sport_type = t.new_provider_sport_type,
  sport_type = t.new_sport_type,
  start_date_local = t.new_start_date_local,
  utc_offset_s = t.new_utc_offset_s,
  max_heartrate = t.new_max_heartrate,
  calories = t.new_calories,
  average_speed_mps = t.new_average_speed_mps,
  max_speed_mps = t.new_max_speed_mps,
  device_name = t.new_device_name
from target t
where a.id = t.id;

-- Constraints are added after the update: validating a foreign key once is one
-- set-based query, where a per-row check would cost a lookup for every row.
-- activities_provider_activity_key is a real unique constraint (not just an
-- index) so that `insert ... on conflict (provider, provider_activity_id)` works.
do $$
begin
  if not exists (
    select 1 from pg_constraint
    where conname = 'activities_connection_id_fkey' and conrelid = 'activities'::regclass
  ) then
    alter table activities
      add constraint activities_connection_id_fkey foreign key (connection_id)
      references provider_connections on delete set null;
  end if;
  if not exists (
    select 1 from pg_constraint
    where conname = 'activities_provider_activity_key' and conrelid = 'activities'::regclass
  ) then
    alter table activities
      add constraint activities_provider_activity_key unique (provider, provider_activity_id);
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- workouts: planned / structured workouts
-- ---------------------------------------------------------------------------
create table if not exists workouts (
  id serial primary key,
  user_id int not null references users on delete cascade,
  connection_id int references provider_connections on delete set null,
  provider provider_type,
  provider_workout_id text,
  name text not null,
  sport_type text,
  description text,
  scheduled_for timestamptz,
  planned_duration_s int,
  planned_distance_m double precision,
  structure jsonb,
  completed_activity_id int references activities on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint workouts_provider_workout_key unique (provider, provider_workout_id)
);

-- ---------------------------------------------------------------------------
-- Indexes for the sync engine and the views
-- ---------------------------------------------------------------------------
create index if not exists activities_user_start_date_idx
  on activities (user_id, start_date desc nulls last);
create index if not exists activities_connection_start_date_idx
  on activities (connection_id, start_date desc nulls last);
create index if not exists activities_start_date_idx
  on activities (start_date desc nulls last);
create index if not exists provider_connections_active_provider_idx
  on provider_connections (provider) where is_active;
create index if not exists sync_history_connection_started_idx
  on sync_history (connection_id, sync_started_at desc);
create index if not exists sync_history_running_idx
  on sync_history (connection_id) where sync_status = 'running';
create index if not exists workouts_user_scheduled_idx
  on workouts (user_id, scheduled_for);
create index if not exists workouts_connection_idx
  on workouts (connection_id);
create index if not exists workouts_completed_activity_idx
  on workouts (completed_activity_id);

-- ---------------------------------------------------------------------------
-- Functions
-- ---------------------------------------------------------------------------

-- "First Last", trimmed, skipping null/empty parts; falls back to the names in
-- the user's oldest connection profile (Strava's firstname/lastname) when the
-- users row has none. Null for an unknown user.
create or replace function get_user_full_name(user_id int)
returns text
language sql
stable
as $$
  select coalesce(
    nullif(concat_ws(' ', nullif(btrim(u.first_name), ''), nullif(btrim(u.last_name), '')), ''),
    (
      select nullif(concat_ws(' ',
        nullif(btrim(pc.provider_profile ->> 'firstname'), ''),
        nullif(btrim(pc.provider_profile ->> 'lastname'), '')), '')
      from provider_connections pc
      where pc.user_id = u.id
        and coalesce(btrim(pc.provider_profile ->> 'firstname'), btrim(pc.provider_profile ->> 'lastname'), '') <> ''
      order by pc.created_at, pc.id
      limit 1
    )
  )
  from users u
  where u.id = get_user_full_name.user_id
$$;

-- True when the access token has expired; false when it never expires
-- (token_expires_at is null); null for an unknown connection id.
create or replace function is_token_expired(connection_id int)
returns boolean
language sql
stable
as $$
  select pc.token_expires_at is not null and pc.token_expires_at <= now()
  from provider_connections pc
  where pc.id = is_token_expired.connection_id
$$;

-- The Trainlytics user id (users.id) of the current request, for RLS policies:
-- the `app_user_id` claim of the JWT as PostgREST/Supabase exposes it in
-- `request.jwt.claims`. Null when the claim is absent or not a positive integer.
-- Put it in your tokens' claims (e.g. a Supabase custom access token hook), or
-- for a direct connection:
--   select set_config('request.jwt.claims', '{"app_user_id": 42}', true);
create or replace function trainlytics_current_user_id()
returns int
language sql
stable
as $$
  select case when claim ~ '^[0-9]{1,9}$' then claim::int end
  from (
    select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'app_user_id' as claim
  ) claims
$$;

-- ---------------------------------------------------------------------------
-- Views (security_invoker: the caller's privileges and RLS apply). No token
-- column is exposed.
-- ---------------------------------------------------------------------------
create or replace view user_connections_summary with (security_invoker = true) as
select
  u.id as user_id,
  u.email,
  get_user_full_name(u.id) as full_name,
  coalesce(c.providers, '{}'::provider_type[]) as providers,
  c.connection_count,
  c.active_connection_count,
  a.activity_count,
  c.last_sync_at
from users u
cross join lateral (
  select
    array_agg(pc.provider order by pc.provider) filter (where pc.is_active) as providers,
    count(*)::int as connection_count,
    (count(*) filter (where pc.is_active))::int as active_connection_count,
    max(pc.last_sync_at) as last_sync_at
  from provider_connections pc
  where pc.user_id = u.id
) c
cross join lateral (
  select count(*)::int as activity_count from activities ac where ac.user_id = u.id
) a;

create or replace view recent_activities with (security_invoker = true) as
select
  a.id,
  a.user_id,
  a.connection_id,
  coalesce(a.provider, pc.provider) as provider,
  a.provider_activity_id,
  a.name,
  a.sport_type,
  a.start_date,
  a.distance_m,
  a.moving_time_s,
  a.elapsed_time_s
from activities a
left join provider_connections pc on pc.id = a.connection_id
order by a.start_date desc nulls last, a.id desc;

-- ---------------------------------------------------------------------------
-- Row level security and Supabase roles
-- ---------------------------------------------------------------------------
-- RLS on: roles other than the table owner (and BYPASSRLS roles such as
-- Supabase's service_role) see only what a policy allows.
alter table provider_connections enable row level security;
alter table sync_history enable row level security;
-- workouts is new user data too: on Supabase a new table is otherwise open to
-- the anon key through the default privileges.
alter table workouts enable row level security;

-- Only where Supabase's `anon` / `authenticated` roles exist: tokens are never
-- readable by them, `authenticated` reads its own connections (non-token
-- columns), sync history and workouts, `anon` gets nothing.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on provider_connections, sync_history, workouts from anon;
    revoke all on sequence provider_connections_id_seq, sync_history_id_seq, workouts_id_seq from anon;
    revoke execute on function is_token_expired(int) from anon;
  end if;

  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on provider_connections, sync_history, workouts from authenticated;
    revoke all on sequence provider_connections_id_seq, sync_history_id_seq, workouts_id_seq from authenticated;
    revoke execute on function is_token_expired(int) from authenticated;
    grant select (
      id, user_id, provider, provider_user_id, token_expires_at, refresh_token_expires_at, scopes,
      provider_profile, is_active, reauth_required, last_error, last_sync_at, sync_cursor,
      created_at, updated_at
    ) on provider_connections to authenticated;
    grant select on sync_history, workouts to authenticated;

    if not exists (
      select 1 from pg_policy
      where polname = 'provider_connections_select_own' and polrelid = 'provider_connections'::regclass
    ) then
      create policy provider_connections_select_own on provider_connections
        for select to authenticated
        using (user_id = trainlytics_current_user_id());
    end if;
    if not exists (
      select 1 from pg_policy
      where polname = 'sync_history_select_own' and polrelid = 'sync_history'::regclass
    ) then
      create policy sync_history_select_own on sync_history
        for select to authenticated
        using (exists (
          select 1 from provider_connections pc
          where pc.id = sync_history.connection_id and pc.user_id = trainlytics_current_user_id()
        ));
    end if;
    if not exists (
      select 1 from pg_policy
      where polname = 'workouts_select_own' and polrelid = 'workouts'::regclass
    ) then
      create policy workouts_select_own on workouts
        for select to authenticated
        using (user_id = trainlytics_current_user_id());
    end if;
  end if;

  if exists (select 1 from pg_roles where rolname = 'anon')
     or exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke execute on function is_token_expired(int) from public;
  end if;
end
$$;

commit;
