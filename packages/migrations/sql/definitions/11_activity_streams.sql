-- Trainlytics definitions 11_activity_streams.sql — activity streams: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 016_activity_streams.sql)
-- args: { activity_id, status, sample_count, channels: [..], samples (base64), codec_version, laps, route,
--         raw, now } -> true. Replaces what was stored for the activity. TL404 when it does not exist.
create or replace function trainlytics_save_activity_streams(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
declare
  owner int;
begin
  select user_id into owner from activities where id = (args ->> 'activity_id')::int;
  if not found then
    raise exception using errcode = 'TL404',
      message = format('Activity %s does not exist (it was deleted, or the id is wrong)', args ->> 'activity_id');
  end if;
  insert into activity_streams as s
    (activity_id, user_id, status, sample_count, channels, samples, codec_version, laps, route, raw, fetched_at)
  values (
    (args ->> 'activity_id')::int,
    owner,
    args ->> 'status',
    coalesce((args ->> 'sample_count')::int, 0),
    coalesce(array(select jsonb_array_elements_text(args -> 'channels')), '{}'),
    decode(args ->> 'samples', 'base64'),
    (args ->> 'codec_version')::smallint,
    coalesce(args -> 'laps', '[]'::jsonb),
    nullif(args -> 'route', 'null'::jsonb),
    nullif(args -> 'raw', 'null'::jsonb),
    coalesce((args ->> 'now')::timestamptz, now())
  )
  on conflict (activity_id) do update set
    user_id = excluded.user_id, status = excluded.status, sample_count = excluded.sample_count,
    channels = excluded.channels, samples = excluded.samples, codec_version = excluded.codec_version,
    laps = excluded.laps, route = excluded.route, raw = excluded.raw, fetched_at = excluded.fetched_at;
  return true;
end
$$;

-- (from 016_activity_streams.sql)
-- args: { activity_id } -> the row as jsonb (samples as base64), or null when none is stored.
create or replace function trainlytics_get_activity_streams(args jsonb)
returns jsonb
language sql
stable
set search_path from current
as $$
  select jsonb_build_object(
    'activity_id', s.activity_id, 'user_id', s.user_id, 'status', s.status, 'sample_count', s.sample_count,
    'channels', to_jsonb(s.channels), 'samples', encode(s.samples, 'base64'), 'codec_version', s.codec_version,
    'laps', s.laps, 'route', s.route, 'raw', s.raw, 'fetched_at', s.fetched_at)
  from activity_streams s
  where s.activity_id = (args ->> 'activity_id')::int
$$;

-- (from 016_activity_streams.sql)
-- args: { connection_id, limit, since? (ISO instant: only activities that started at or after it),
--         sport_types? ([..]: only these), before_id? (paging: ids below it) }
-- -> [{ id, provider_activity_id, sport_type, start_date, raw }], newest first: the connection's activities
--    with no streams row yet (the streams backlog).
create or replace function trainlytics_list_streams_backlog(args jsonb)
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(to_jsonb(b) order by b.start_date desc nulls last, b.id desc), '[]'::jsonb)
  from (
    select a.id, a.provider_activity_id, a.sport_type, a.start_date, a.raw
    from activities a
    where a.connection_id = (args ->> 'connection_id')::int
      and (args ->> 'since' is null or a.start_date >= (args ->> 'since')::timestamptz)
      and (args -> 'sport_types' is null or jsonb_typeof(args -> 'sport_types') = 'null'
           or a.sport_type in (select jsonb_array_elements_text(args -> 'sport_types')))
      and (args ->> 'before_id' is null or a.id < (args ->> 'before_id')::int)
      and not exists (select 1 from activity_streams s where s.activity_id = a.id)
    order by a.start_date desc nulls last, a.id desc
    limit greatest(coalesce((args ->> 'limit')::int, 100), 0)
  ) b
$$;

-- (from 016_activity_streams.sql)
-- args: { connection_id, since?, sport_types? } -> how many of the connection's activities have no streams row.
create or replace function trainlytics_count_streams_backlog(args jsonb)
returns int
language sql
stable
set search_path from current
as $$
  select count(*)::int
  from activities a
  where a.connection_id = (args ->> 'connection_id')::int
    and (args ->> 'since' is null or a.start_date >= (args ->> 'since')::timestamptz)
    and (args -> 'sport_types' is null or jsonb_typeof(args -> 'sport_types') = 'null'
         or a.sport_type in (select jsonb_array_elements_text(args -> 'sport_types')))
    and not exists (select 1 from activity_streams s where s.activity_id = a.id)
$$;

commit;
