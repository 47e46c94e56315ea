-- Trainlytics 002 (down) — back from the multi-provider schema to the legacy
-- single-provider (Strava) schema, without losing any row that existed before
-- 002 ran.
--
-- * The current Strava tokens and profile (they may have been refreshed since
--   002 ran) are written back into strava_connections; Strava connections made
--   after 002 are inserted there too (when their athlete id is numeric).
-- * Activities get their Strava sport name back (from provider_sport_type);
--   Strava activities synced after 002 get strava_activity_id.
-- * Activities from other providers are kept (as rows without strava_activity_id).
-- * Then everything 002 added is dropped: views, functions, workouts,
--   sync_history, the new activities columns, provider_connections, the types.
-- * One transaction, idempotent (a second run changes nothing).
--
-- If a later migration (003, ...) depends on these objects, revert it first:
-- nothing here drops with CASCADE, so the transaction fails instead of
-- silently dropping someone else's objects.

begin;

set local client_min_messages = warning;

-- Down guard (docs/decisions/0008-down-migrations-lossless-or-refused.md): with
-- `trainlytics.down = 'check'` report what reverting would lose (SQLSTATE TLD00) and stop; otherwise refuse a
-- loss (TLD01) unless `trainlytics.down = 'force'` (`trainlytics migrate down --force`, or in psql / the SQL
-- editor `set trainlytics.down = 'force';` before this file).
do $guard$
declare
  mode text := coalesce(current_setting('trainlytics.down', true), '');
  lost text[] := array[]::text[];
  n bigint;
  m bigint;
  r record;
begin
  if to_regclass('provider_connections') is not null then
    for r in
      select c.provider::text as provider, count(*) as n from provider_connections c
      where c.provider <> 'strava' group by 1 order by 1
    loop
      lost := lost || format('provider_connections: %s %s connection(s) with their tokens', r.n, r.provider);
    end loop;
    select count(*) into n from provider_connections c
    where c.provider = 'strava' and c.provider_user_id !~ '^[0-9]{1,18}$';
    if n > 0 then
      lost := lost || format('provider_connections: %s Strava connection(s) whose athlete id is not a number', n);
    end if;
    select count(*) into n from provider_connections c where c.provider = 'strava' and not c.is_active;
    if n > 0 then
      lost := lost || format('provider_connections: %s disconnected Strava connection(s) (they would come back active)', n);
    end if;
    -- The next up numbers the Strava connections 1, 2, … in strava_connections order (legacy rows first).
    if to_regclass('strava_connections') is not null then
      select count(*) into n
      from provider_connections c
      join (
        select x.athlete, row_number() over (order by x.ord) as new_id
        from (
          select sc.strava_athlete_id::text as athlete, sc.id::numeric as ord from strava_connections sc
          union all
          select c2.provider_user_id, 1e18 + c2.id from provider_connections c2
          where c2.provider = 'strava' and c2.provider_user_id ~ '^[0-9]{1,18}$'
            and not exists (select 1 from strava_connections sc where sc.strava_athlete_id::text = c2.provider_user_id)
        ) x
      ) f on f.athlete = c.provider_user_id
      where c.provider = 'strava' and c.id <> f.new_id;
      select count(*) into m from strava_connections sc
      where not exists (
        select 1 from provider_connections c
        where c.provider = 'strava' and c.provider_user_id = sc.strava_athlete_id::text
      );
      if m > 0 then
        lost := lost || format('strava_connections: %s legacy row(s) with no current connection (the next up would connect them again)', m);
      end if;
    else
      select count(*) into n from (
        select c.id, row_number() over (order by c.id) as new_id from provider_connections c
        where c.provider = 'strava' and c.provider_user_id ~ '^[0-9]{1,18}$'
      ) x where x.id <> x.new_id;
    end if;
    if n > 0 then
      lost := lost || format('provider_connections: %s Strava connection id(s) would change on the next up', n);
    end if;
  end if;
  if to_regclass('sync_history') is not null then
    select count(*) into n from sync_history;
    if n > 0 then
      lost := lost || format('sync_history: %s row(s)', n);
    end if;
  end if;
  if to_regclass('workouts') is not null then
    select count(*) into n from workouts;
    if n > 0 then
      lost := lost || format('workouts: %s row(s)', n);
    end if;
  end if;
  if exists (
    select 1 from information_schema.columns
    where table_schema = current_schema() and table_name = 'activities' and column_name = 'provider'
  ) then
    for r in
      select a.provider::text as provider, count(*) as n from activities a
      where a.provider is not null and a.provider <> 'strava' group by 1 order by 1
    loop
      lost := lost || format('activities: %s %s activit(ies) would lose their provider link (and be stored twice after reconnecting)', r.n, r.provider);
    end loop;
  end if;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '002_multi_provider: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 002_multi_provider would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

-- strava_connections may have been dropped by `trainlytics migrate drop-legacy`.
create table if not exists strava_connections (
  id serial primary key,
  user_id int not null references users on delete cascade,
  strava_athlete_id bigint unique not null,
  access_token text not null,
  refresh_token text not null,
  expires_at timestamptz not null,
  scope text,
  firstname text,
  lastname text,
  profile_url text,
  profile_picture text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

do $$
begin
  if to_regclass('provider_connections') is null then
    return; -- already reverted
  end if;

  -- Current tokens and profile back into the legacy rows (only rows that differ;
  -- a scope string that still means the same scopes is kept as it was).
  update strava_connections sc set
    user_id = pc.user_id,
    access_token = pc.access_token,
    refresh_token = coalesce(pc.refresh_token, sc.refresh_token),
    expires_at = coalesce(pc.token_expires_at, sc.expires_at),
    scope = case
      when coalesce(string_to_array(nullif(sc.scope, ''), ','), '{}') = pc.scopes then sc.scope
      when cardinality(pc.scopes) = 0 then null
      else array_to_string(pc.scopes, ',')
    end,
    firstname = pc.provider_profile ->> 'firstname',
    lastname = pc.provider_profile ->> 'lastname',
    profile_url = pc.provider_profile ->> 'profile_url',
    profile_picture = pc.provider_profile ->> 'profile_picture',
    updated_at = pc.updated_at
  from provider_connections pc
  where pc.provider = 'strava'
    and pc.provider_user_id = sc.strava_athlete_id::text
    and (sc.user_id, sc.access_token, sc.refresh_token, sc.expires_at, sc.scope, sc.firstname, sc.lastname,
         sc.profile_url, sc.profile_picture, sc.updated_at)
      is distinct from
        (pc.user_id, pc.access_token, coalesce(pc.refresh_token, sc.refresh_token),
         coalesce(pc.token_expires_at, sc.expires_at),
         case
           when coalesce(string_to_array(nullif(sc.scope, ''), ','), '{}') = pc.scopes then sc.scope
           when cardinality(pc.scopes) = 0 then null
           else array_to_string(pc.scopes, ',')
         end,
         pc.provider_profile ->> 'firstname', pc.provider_profile ->> 'lastname',
         pc.provider_profile ->> 'profile_url', pc.provider_profile ->> 'profile_picture', pc.updated_at);

  -- Strava connections created after 002 ran.
  insert into strava_connections (
    user_id, strava_athlete_id, access_token, refresh_token, expires_at, scope,
    firstname, lastname, profile_url, profile_picture, created_at, updated_at
  )
  select
    pc.user_id,
    pc.provider_user_id::bigint,
    pc.access_token,
    coalesce(pc.refresh_token, ''),
    coalesce(pc.token_expires_at, 'infinity'),
    case when cardinality(pc.scopes) = 0 then null else array_to_string(pc.scopes, ',') end,
    pc.provider_profile ->> 'firstname',
    pc.provider_profile ->> 'lastname',
    pc.provider_profile ->> 'profile_url',
    pc.provider_profile ->> 'profile_picture',
    pc.created_at,
    pc.updated_at
  from provider_connections pc
  where pc.provider = 'strava'
    and pc.provider_user_id ~ '^[0-9]{1,18}$'
    and not exists (
      select 1 from strava_connections sc where sc.strava_athlete_id = pc.provider_user_id::bigint
    )
  order by pc.id
  on conflict do nothing;
end
$$;

do $$
begin
  if not exists (
    select 1 from information_schema.columns
    where table_schema = current_schema() and table_name = 'activities' and column_name = 'provider_sport_type'
  ) then
    return; -- already reverted
  end if;

  -- Strava activities synced after 002 ran get their legacy id; every activity
  -- gets its provider's own sport name back.
  update activities a set
    strava_activity_id = coalesce(a.strava_activity_id, case
      when a.provider = 'strava' and a.provider_activity_id ~ '^[0-9]{1,18}$'
        and not exists (
          select 1 from activities o where o.strava_activity_id = a.provider_activity_id::bigint
        )
      then a.provider_activity_id::bigint
    end),
    sport_type = coalesce(a.provider_sport_type, a.sport_type)
  where (a.provider_sport_type is not null and a.sport_type is distinct from a.provider_sport_type)
     or (a.strava_activity_id is null and a.provider = 'strava' and a.provider_activity_id ~ '^[0-9]{1,18}$'
         and not exists (
           select 1 from activities o where o.strava_activity_id = a.provider_activity_id::bigint
         ));
end
$$;

drop view if exists recent_activities;
drop view if exists user_connections_summary;
drop function if exists get_user_full_name(int);
drop function if exists is_token_expired(int);
drop table if exists workouts;
drop table if exists sync_history;

-- Indexes on legacy columns (the others go with their columns).
drop index if exists activities_user_start_date_idx;
drop index if exists activities_start_date_idx;

alter table activities
  drop constraint if exists activities_provider_activity_key,
  drop column if exists connection_id,
  drop column if exists provider,
  drop column if exists provider_activity_id,
  drop column if exists provider_sport_type,
  drop column if exists start_date_local,
  drop column if exists utc_offset_s,
  drop column if exists max_heartrate,
  drop column if exists calories,
  drop column if exists average_speed_mps,
  drop column if exists max_speed_mps,
  drop column if exists device_name,
  drop column if exists updated_at;

drop table if exists provider_connections;
-- After the tables: the RLS policies use it.
drop function if exists trainlytics_current_user_id();
drop type if exists sync_status;
drop type if exists provider_type;

-- Keep the runner's bookkeeping true when this file is run by hand.
do $$
begin
  if to_regclass('trainlytics_migrations') is not null then
    execute 'delete from trainlytics_migrations where version = ''002''';
  end if;
end
$$;

commit;
