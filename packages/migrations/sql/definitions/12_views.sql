-- Trainlytics definitions 12_views.sql — views: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 014_activity_dedupe.sql)
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
  select ((select count(*) from activities ac where ac.user_id = u.id)
          - (select count(*) from activity_group_members g where g.user_id = u.id and g.member_rank > 0))::int
         as activity_count
) a;

-- (from 014_activity_dedupe.sql)
-- 002's columns, one row per workout.
create or replace view recent_activities with (security_invoker = true) as
select
  c.id,
  c.user_id,
  c.connection_id,
  c.provider,
  c.provider_activity_id,
  c.name,
  c.sport_type,
  c.start_date,
  c.distance_m,
  c.moving_time_s,
  c.elapsed_time_s
from canonical_activities c
order by c.start_date desc nulls last, c.id desc;

-- (from 014_activity_dedupe.sql)
-- ---------------------------------------------------------------------------
-- Views: one row per workout
-- ---------------------------------------------------------------------------
create or replace view canonical_activities with (security_invoker = true) as
select
  a.id, a.user_id, a.connection_id, coalesce(a.provider, pc.provider) as provider, a.provider_activity_id,
  a.name, a.sport_type, a.provider_sport_type, a.start_date, a.start_date_local, a.utc_offset_s,
  a.elapsed_time_s, a.moving_time_s, a.distance_m, a.total_elevation_gain_m, a.average_heartrate,
  a.max_heartrate, a.calories, a.average_speed_mps, a.max_speed_mps, a.is_manual, a.device_name,
  array[coalesce(a.provider, pc.provider)] as providers, array[a.id] as activity_ids
from activities a
left join provider_connections pc on pc.id = a.connection_id
where not exists (select 1 from activity_group_members g where g.activity_id = a.id)
union all
select
  g.group_id as id,
  g.user_id,
  (array_agg(a.connection_id order by g.member_rank))[1],
  (array_agg(coalesce(a.provider, pc.provider) order by g.member_rank))[1],
  (array_agg(a.provider_activity_id order by g.member_rank))[1],
  (array_agg(a.name order by g.member_rank) filter (where a.name is not null))[1],
  coalesce((array_agg(a.sport_type order by g.member_rank) filter (where a.sport_type is distinct from 'other' and a.sport_type is not null))[1],
           (array_agg(a.sport_type order by g.member_rank))[1]),
  (array_agg(a.provider_sport_type order by g.member_rank) filter (where a.provider_sport_type is not null))[1],
  (array_agg(a.start_date order by g.member_rank))[1],
  (array_agg(a.start_date_local order by g.member_rank) filter (where a.start_date_local is not null))[1],
  (array_agg(a.utc_offset_s order by g.member_rank) filter (where a.utc_offset_s is not null))[1],
  (array_agg(a.elapsed_time_s order by g.member_rank) filter (where a.elapsed_time_s is not null))[1],
  (array_agg(a.moving_time_s order by g.member_rank) filter (where a.moving_time_s is not null))[1],
  (array_agg(a.distance_m order by g.member_rank) filter (where a.distance_m is not null))[1],
  (array_agg(a.total_elevation_gain_m order by g.member_rank) filter (where a.total_elevation_gain_m is not null))[1],
  (array_agg(a.average_heartrate order by g.member_rank) filter (where a.average_heartrate is not null))[1],
  (array_agg(a.max_heartrate order by g.member_rank) filter (where a.max_heartrate is not null))[1],
  (array_agg(a.calories order by g.member_rank) filter (where a.calories is not null))[1],
  (array_agg(a.average_speed_mps order by g.member_rank) filter (where a.average_speed_mps is not null))[1],
  (array_agg(a.max_speed_mps order by g.member_rank) filter (where a.max_speed_mps is not null))[1],
  bool_and(a.is_manual),
  (array_agg(a.device_name order by g.member_rank) filter (where a.device_name is not null))[1],
  array_agg(coalesce(a.provider, pc.provider) order by g.member_rank),
  array_agg(a.id order by g.member_rank)
from activity_group_members g
join activities a on a.id = g.activity_id
left join provider_connections pc on pc.id = a.connection_id
group by g.group_id, g.user_id;

-- (from 014_activity_dedupe.sql)
-- args: { user_id?, connection_id? (the canonical copy's), before?, limit? } -> canonical_activities rows as a
-- JSON array, newest first (providers as text).
create or replace function trainlytics_list_canonical_activities(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(s.activity order by s.start_date desc nulls last, s.id desc), '[]'::jsonb)
  from (
    select to_jsonb(c) || jsonb_build_object('providers', c.providers::text[]) as activity, c.start_date, c.id
    from canonical_activities c
    where (args ->> 'user_id' is null or c.user_id = (args ->> 'user_id')::int)
      and (args ->> 'connection_id' is null or c.connection_id = (args ->> 'connection_id')::int)
      and (args ->> 'before' is null or c.start_date < (args ->> 'before')::timestamptz)
    order by c.start_date desc nulls last, c.id desc
    limit (args ->> 'limit')::int
  ) s
$$;

commit;
