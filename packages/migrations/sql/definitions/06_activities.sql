-- Trainlytics definitions 06_activities.sql — activities: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 003_trainlytics_core.sql)
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

-- (from 003_trainlytics_core.sql)
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

-- (from 016_activity_streams.sql)
-- args: { id } -> the activity as trainlytics_list_activities returns it, or null.
create or replace function trainlytics_get_activity(args jsonb)
returns jsonb
language sql
stable
set search_path from current
as $$
  select trainlytics_activity_json(a) from activities a where a.id = (args ->> 'id')::int
$$;

commit;
