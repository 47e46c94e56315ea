-- Trainlytics 016 — activity streams: what happened inside an activity (samples, laps, route; issue 14).
--
-- * `activity_streams`: one row per activity (primary key = `activities.id`, deleted with it). `samples`
--   holds every sample channel of the activity in the compact, lossless encoding of @trainlytics/core's
--   `sample-codec.ts` (scaled-decimal deltas as varints: ~1 byte per sample and channel for a 1 Hz run);
--   `channels` lists the channels it holds; `laps` and `route` are jsonb; `raw` keeps the provider's payload
--   without the sample arrays (docs/decisions/0030-activity-streams.md). `status = 'none'` records that the
--   provider has no samples for the activity (a manual entry), so it is not asked again.
--   Reading one activity's full streams is one primary-key lookup.
-- * The backlog (activities of a connection with no streams row yet) is read newest first through 002's
--   `activities_connection_start_date_idx`.
-- * Functions (one `args jsonb` each, like 003's; bytea travels as base64 so PostgREST can carry it):
--     trainlytics_save_activity_streams, trainlytics_get_activity_streams, trainlytics_get_activity,
--     trainlytics_list_streams_backlog, trainlytics_count_streams_backlog.
-- * Security as `activities` (ADR 0007): RLS on; `authenticated` may select its own rows (policy on user_id),
--   `anon` nothing; the functions are executable by the owner and `service_role` only.
--
-- One transaction, idempotent (re-runnable, e.g. pasted twice into the Supabase SQL editor). Reverse it
-- with 016_activity_streams.down.sql (which refuses while streams are stored, unless forced).

begin;

set local client_min_messages = warning;

do $$
begin
  if to_regclass('activities') is null or to_regclass('provider_connections') is null
    or to_regprocedure('trainlytics_require_provider(text)') is null then
    raise exception 'Trainlytics migration 016_activity_streams needs the schema of 001–012, but this database lacks it. Run them first (`trainlytics migrate up` applies them in order).'
      using hint = 'Check that you are connected to the right database and schema (search_path).';
  end if;
end
$$;

create table if not exists activity_streams (
  activity_id int primary key references activities on delete cascade,
  user_id int not null references users on delete cascade,
  status text not null check (status in ('stored', 'none')),
  sample_count int not null default 0 check (sample_count >= 0),
  channels text[] not null default '{}',
  samples bytea,
  codec_version smallint,
  laps jsonb not null default '[]'::jsonb,
  route jsonb,
  raw jsonb,
  fetched_at timestamptz not null default now(),
  check ((status = 'stored') = (samples is not null))
);

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

-- args: { id } -> the activity as trainlytics_list_activities returns it, or null.
create or replace function trainlytics_get_activity(args jsonb)
returns jsonb
language sql
stable
set search_path from current
as $$
  select trainlytics_activity_json(a) from activities a where a.id = (args ->> 'id')::int
$$;

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

alter table activity_streams enable row level security;

do $$
declare
  fn text;
  role_name text;
begin
  foreach fn in array array[
    'trainlytics_save_activity_streams(jsonb)', 'trainlytics_get_activity_streams(jsonb)', 'trainlytics_get_activity(jsonb)',
    'trainlytics_list_streams_backlog(jsonb)', 'trainlytics_count_streams_backlog(jsonb)'
  ] loop
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

  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on activity_streams from anon;
  end if;
  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on activity_streams from authenticated;
    grant select on activity_streams to authenticated;
    if not exists (
      select 1 from pg_policy where polname = 'activity_streams_select_own' and polrelid = 'activity_streams'::regclass
    ) then
      create policy activity_streams_select_own on activity_streams
        for select to authenticated
        using (user_id = trainlytics_current_user_id());
    end if;
  end if;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant select, insert, update, delete on activity_streams to service_role;
  end if;
end
$$;

commit;
