-- Trainlytics 006 — close every object to Supabase's client roles, and one Strava sport mapping.
--
-- 1. Privileges. On Supabase, `alter default privileges in schema public grant all on tables, sequences,
--    functions to anon, authenticated, service_role` gives the anon key every table, view, sequence and
--    function a migration creates, and PostgreSQL lets PUBLIC execute every new function. 002–005 revoked
--    that on some objects only: `anon` could still read and write the legacy `strava_connections` (with its
--    tokens), the views, the sequences and most functions. For every table, view, sequence and function
--    the migrations create or adopt, this file:
--      * enables row level security on every table (the owner and BYPASSRLS roles are unaffected);
--      * revokes everything from PUBLIC, `anon` and `authenticated`;
--      * grants back only the design's grant table (README "Security"): `authenticated` reads its own rows
--        of users, activities, sync_history, workouts, the non-token columns of provider_connections and
--        the two views (`security_invoker`, so the caller's RLS applies), and executes
--        trainlytics_current_user_id() (the policies call it) and get_user_full_name(int) (the view calls
--        it); `service_role` (the server's key) gets the tables, sequences and functions; `anon` nothing.
--    Where a role does not exist its statements are skipped.
-- 2. Sport types. The Strava plugin's map (packages/provider-strava/src/strava-sport-types.ts) is the one
--    source of truth; 002's SQL disagreed with it for some names (Crossfit, Snowshoe, Pilates, Handcycle,
--    Velomobile, names in another case, trainer rides/runs/rows), and the plugin mapped BackcountrySki to
--    alpine_ski before it was corrected to cross_country_ski. Rows that still carry one of those superseded
--    values get the plugin's value; no other row is touched, so a re-run changes nothing. The list below is
--    checked against the plugin by packages/migrations/test/sport-types.test.ts.
--
-- Objects are named (the tables, views and functions of 001–005, the runner's table): a later migration's
-- objects are its own to lock down, and pasting 006 again after it would only re-apply this file's grants.
--
-- One transaction, idempotent (a second run changes nothing and raises nothing). Its down file keeps both
-- (re-opening tokens to the anon key, or restoring wrong sports, is never what a rollback wants).

begin;

set local client_min_messages = warning;

do $$
begin
  if to_regclass('activities') is null or to_regclass('provider_connections') is null then
    raise exception 'Trainlytics migration 006_client_roles_sport_types needs the multi-provider schema, but this database has no activities/provider_connections table. Run 001–005 first (`trainlytics migrate up` applies them in order).'
      using hint = 'Check that you are connected to the right database and schema (search_path).';
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- 1. Privileges
-- ---------------------------------------------------------------------------
do $$
declare
  tables text[] := array[
    'users', 'strava_connections', 'activities', 'provider_connections', 'sync_history', 'workouts',
    'trainlytics_oauth_states', 'trainlytics_leases', 'trainlytics_webhook_events', 'trainlytics_rate_limits',
    'trainlytics_rate_limit_blocks', 'trainlytics_worker_leases', 'trainlytics_migrations'
  ];
  -- the runner's bookkeeping stays the owner's alone
  server_tables text[] := array_remove(tables, 'trainlytics_migrations');
  views text[] := array['user_connections_summary', 'recent_activities'];
  own_rows text[] := array['users', 'activities', 'sync_history', 'workouts'];
  clients text[] := array[]::text[];
  has_service_role boolean := exists (select 1 from pg_roles where rolname = 'service_role');
  has_authenticated boolean := exists (select 1 from pg_roles where rolname = 'authenticated');
  rel text;
  role_name text;
  seq regclass;
  fn regprocedure;
begin
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      clients := clients || role_name;
    end if;
  end loop;

  foreach rel in array tables loop
    continue when to_regclass(rel) is null; -- strava_connections after drop-legacy; the runner's table by hand
    execute format('alter table %I enable row level security', rel);
    execute format('revoke all on table %I from public', rel);
    foreach role_name in array clients loop
      execute format('revoke all on table %I from %I', rel, role_name);
    end loop;
    if has_service_role and rel = any (server_tables) then
      execute format('grant select, insert, update, delete on table %I to service_role', rel);
    end if;
    -- the serial sequences of the table
    for seq in
      select d.objid::regclass
      from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
      where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
        and d.refobjid = to_regclass(rel) and d.deptype in ('a', 'i')
    loop
      execute format('revoke all on sequence %s from public', seq);
      foreach role_name in array clients loop
        execute format('revoke all on sequence %s from %I', seq, role_name);
      end loop;
      if has_service_role and rel = any (server_tables) then
        execute format('grant usage, select on sequence %s to service_role', seq);
      end if;
    end loop;
  end loop;

  foreach rel in array views loop
    continue when to_regclass(rel) is null;
    -- a view owned by the migrating role would otherwise read the tables with the owner's rights (no RLS)
    execute format('alter view %I set (security_invoker = true)', rel);
    execute format('revoke all on table %I from public', rel);
    foreach role_name in array clients loop
      execute format('revoke all on table %I from %I', rel, role_name);
    end loop;
    if has_service_role then
      execute format('grant select on table %I to service_role', rel);
    end if;
  end loop;

  -- Every function of 002–005 (by name: a later migration's functions and an extension's are its own).
  for fn in
    select p.oid::regprocedure
    from pg_proc p
    where p.pronamespace = current_schema()::regnamespace
      and p.proname = any (array[
        'get_user_full_name', 'is_token_expired', 'trainlytics_current_user_id',
        'trainlytics_provider', 'trainlytics_require_provider', 'trainlytics_text_array',
        'trainlytics_activity_json', 'trainlytics_list_connections', 'trainlytics_upsert_connection',
        'trainlytics_update_connection', 'trainlytics_update_tokens', 'trainlytics_save_oauth_state',
        'trainlytics_consume_oauth_state', 'trainlytics_delete_expired_oauth_states',
        'trainlytics_start_sync', 'trainlytics_commit_page', 'trainlytics_finish_sync',
        'trainlytics_fail_running_syncs', 'trainlytics_list_syncs', 'trainlytics_list_activities',
        'trainlytics_count_activities', 'trainlytics_acquire_lease', 'trainlytics_release_lease',
        'trainlytics_record_webhook_event', 'trainlytics_rate_limit_roll', 'trainlytics_rate_limit_reserve',
        'trainlytics_rate_limit_observe', 'trainlytics_rate_limit_block', 'trainlytics_rate_limit_state',
        'trainlytics_forget_webhook_event'
      ])
  loop
    execute format('revoke all on function %s from public', fn);
    foreach role_name in array clients loop
      execute format('revoke all on function %s from %I', fn, role_name);
    end loop;
    if has_service_role then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;

  -- The grant table's `authenticated` column: its own rows (policies of 002 and 005), no token column.
  if has_authenticated then
    foreach rel in array own_rows || views loop
      continue when to_regclass(rel) is null;
      execute format('grant select on table %I to authenticated', rel);
    end loop;
    grant select (
      id, user_id, provider, provider_user_id, token_expires_at, refresh_token_expires_at, scopes,
      provider_profile, is_active, reauth_required, last_error, last_sync_at, sync_cursor,
      created_at, updated_at
    ) on provider_connections to authenticated;
    grant execute on function trainlytics_current_user_id() to authenticated;
    grant execute on function get_user_full_name(int) to authenticated;
  end if;
end
$$;

-- ---------------------------------------------------------------------------
-- 2. Strava sport types: the plugin's mapping
-- ---------------------------------------------------------------------------
-- strava: the plugin's STRAVA_SPORT_TYPES (names compared case-insensitively; a name missing here is
-- 'other'). indoor: the plugin's variant of a sport recorded on a trainer (`"trainer": true` in raw).
-- superseded: what 002's SQL wrote (its CASE, case-sensitive, else 'other') and what the plugin wrote
-- before BackcountrySki was corrected; only rows still carrying such a value are re-mapped.
with strava(name, sport_type) as (
  values
    ('AlpineSki', 'alpine_ski'), ('BackcountrySki', 'cross_country_ski'), ('Badminton', 'other'),
    ('Canoeing', 'other'), ('Crossfit', 'hiit'), ('EBikeRide', 'e_bike_ride'), ('Elliptical', 'elliptical'),
    ('EMountainBikeRide', 'e_bike_ride'), ('Golf', 'other'), ('GravelRide', 'gravel_ride'),
    ('Handcycle', 'ride'), ('HighIntensityIntervalTraining', 'hiit'), ('Hike', 'hike'), ('IceSkate', 'other'),
    ('InlineSkate', 'other'), ('Kayaking', 'other'), ('Kitesurf', 'other'),
    ('MountainBikeRide', 'mountain_bike_ride'), ('NordicSki', 'cross_country_ski'), ('Pickleball', 'other'),
    ('Pilates', 'other'), ('Racquetball', 'other'), ('Ride', 'ride'), ('RockClimbing', 'other'),
    ('RollerSki', 'cross_country_ski'), ('Rowing', 'rowing'), ('Run', 'run'), ('Sail', 'other'),
    ('Skateboard', 'other'), ('Snowboard', 'alpine_ski'), ('Snowshoe', 'hike'), ('Soccer', 'other'),
    ('Squash', 'other'), ('StairStepper', 'other'), ('StandUpPaddling', 'other'), ('Surfing', 'other'),
    ('Swim', 'swim'), ('TableTennis', 'other'), ('Tennis', 'other'), ('TrailRun', 'trail_run'),
    ('Velomobile', 'ride'), ('VirtualRide', 'virtual_ride'), ('VirtualRow', 'indoor_rowing'),
    ('VirtualRun', 'virtual_run'), ('Walk', 'walk'), ('WeightTraining', 'strength_training'),
    ('Wheelchair', 'other'), ('Windsurf', 'other'), ('Workout', 'other'), ('Yoga', 'yoga')
),
indoor(sport_type, indoor_sport_type) as (
  values ('ride', 'indoor_ride'), ('run', 'treadmill_run'), ('rowing', 'indoor_rowing')
),
mapped_by_002(name, sport_type) as (
  values
    ('Run', 'run'), ('TrailRun', 'trail_run'), ('VirtualRun', 'virtual_run'), ('Ride', 'ride'),
    ('MountainBikeRide', 'mountain_bike_ride'), ('EMountainBikeRide', 'e_bike_ride'),
    ('GravelRide', 'gravel_ride'), ('VirtualRide', 'virtual_ride'), ('EBikeRide', 'e_bike_ride'),
    ('Swim', 'swim'), ('Walk', 'walk'), ('Hike', 'hike'), ('Rowing', 'rowing'), ('VirtualRow', 'indoor_rowing'),
    ('WeightTraining', 'strength_training'), ('Crossfit', 'strength_training'), ('Yoga', 'yoga'),
    ('Pilates', 'yoga'), ('NordicSki', 'cross_country_ski'), ('BackcountrySki', 'cross_country_ski'),
    ('RollerSki', 'cross_country_ski'), ('AlpineSki', 'alpine_ski'), ('Snowboard', 'alpine_ski'),
    ('Elliptical', 'elliptical'), ('HighIntensityIntervalTraining', 'hiit')
),
mapped_by_plugin_0_1_0(name, sport_type) as (
  values ('BackcountrySki', 'alpine_ski')
),
target as (
  select
    a.id,
    a.sport_type,
    case when a.raw -> 'trainer' = 'true'::jsonb
      then coalesce(i.indoor_sport_type, coalesce(s.sport_type, 'other'))
      else coalesce(s.sport_type, 'other')
    end as new_sport_type,
    coalesce(m.sport_type, 'other') as old_002,
    p.sport_type as old_plugin
  from activities a
  left join strava s on lower(s.name) = lower(a.provider_sport_type)
  left join indoor i on i.sport_type = coalesce(s.sport_type, 'other')
  left join mapped_by_002 m on m.name = a.provider_sport_type
  left join mapped_by_plugin_0_1_0 p on p.name = a.provider_sport_type
  where a.provider = 'strava' and a.provider_sport_type is not null and a.sport_type is not null
)
update activities a set sport_type = t.new_sport_type, updated_at = now()
from target t
where a.id = t.id
  and t.sport_type <> t.new_sport_type
  and (t.sport_type = t.old_002 or t.sport_type = t.old_plugin);

commit;
