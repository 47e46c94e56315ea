-- Trainlytics 014 (down) — drops the grouping of 014_activity_dedupe.sql; `recent_activities` and
-- `user_connections_summary` count every stored copy again (002's definitions). No activity is touched.
--
-- The automatic matches are derived (the next `up` and `trainlytics dedupe --all` compute them again); what a
-- person decided (link / unlink) and a changed matching policy are not: the guard refuses to lose them.
--
-- One transaction, idempotent (a second run changes nothing).

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
begin
  if to_regclass('activity_match_decisions') is not null then
    select count(*) into n from activity_match_decisions;
    if n > 0 then
      lost := lost || format('activity_match_decisions: %s link/unlink decision(s) made by people', n);
    end if;
  end if;
  if to_regclass('trainlytics_dedupe_policy') is not null then
    select count(*) into n from trainlytics_dedupe_policy
    where (threshold, start_tolerance_s, min_overlap, min_distance_ratio, provider_order)
      is distinct from (0.7::double precision, 300, 0.6::double precision, 0.8::double precision,
                        array['garmin', 'polar', 'wahoo', 'coros', 'suunto', 'strava']);
    if n > 0 then
      lost := lost || 'trainlytics_dedupe_policy: the matching policy differs from the default';
    end if;
  end if;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '014_activity_dedupe: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 014_activity_dedupe would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

drop trigger if exists activities_dedupe_insert on activities;
drop trigger if exists activities_dedupe_update on activities;
drop trigger if exists activities_dedupe_delete on activities;

-- 002's definitions (same columns: the grants of 006 stay)
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

drop function if exists trainlytics_list_canonical_activities(jsonb);
drop view if exists canonical_activities;
drop function if exists trainlytics_decide_match(jsonb);
drop function if exists trainlytics_dedupe(jsonb);
drop function if exists trainlytics_dedupe_after_write();
drop function if exists trainlytics_dedupe_region(int[], timestamptz[], timestamptz[]);
drop function if exists trainlytics_dedupe_xref(text, text, jsonb);
drop function if exists trainlytics_sport_indoor(text);
drop function if exists trainlytics_sport_family(text);
drop table if exists activity_group_members;
drop table if exists activity_match_decisions;
drop table if exists activity_matches;
drop table if exists trainlytics_dedupe_policy;

commit;
