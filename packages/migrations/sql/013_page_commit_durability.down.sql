-- Trainlytics 013 (down) — back to 011's trainlytics_commit_page (every page commit waits for its flush;
-- `refetchable` is ignored). Only a function changes: nothing is lost.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

-- Down guard (docs/decisions/0008-down-migrations-lossless-or-refused.md): nothing to report (see above).
do $guard$
begin
  if coalesce(current_setting('trainlytics.down', true), '') = 'check' then
    raise exception using errcode = 'TLD00', message = '013_page_commit_durability: nothing would be lost',
      detail = '[]';
  end if;
end
$guard$;

-- args: { connection_id, sync_id (may be null), activities: [... each with detail?: 'summary' | 'detail'], deleted_ids: [...], rejected: [...],
--         cursor? (written when the key is present), requests_made, now }
-- -> { created, updated, deleted }. One transaction (one function call):
--   * upserts the activities on (provider, provider_activity_id), merging each with the stored row
--     (trainlytics_merge_activity: a summary never clears what a detail gave); a row whose stored values
--     would all stay the same is not written and counts neither as created nor updated; legacy rows get
--     linked to the connection;
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
        device_name text, raw jsonb, detail text
      )
      order by x.provider_activity_id, e.ord desc
    ),
    upserted as (
      insert into activities as a (
        user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type,
        start_date, start_date_local, utc_offset_s, elapsed_time_s, moving_time_s, distance_m,
        total_elevation_gain_m, average_heartrate, max_heartrate, calories, average_speed_mps,
        max_speed_mps, is_manual, device_name, raw, detail, created_at, updated_at
      )
      select
        v_connection.user_id, v_connection.id, v_connection.provider, i.provider_activity_id, i.name,
        i.sport_type, i.provider_sport_type, i.start_date, i.start_date_local, round(i.utc_offset_s)::int,
        round(i.elapsed_time_s)::int, round(i.moving_time_s)::int, i.distance_m, i.total_elevation_gain_m,
        i.average_heartrate, i.max_heartrate, i.calories, i.average_speed_mps, i.max_speed_mps,
        coalesce(i.is_manual, false), i.device_name, i.raw, coalesce(i.detail, 'detail'), v_now, v_now
      from input i
      where i.provider_activity_id is not null
      on conflict on constraint activities_provider_activity_key do update set
        (user_id, connection_id, name, sport_type, provider_sport_type, start_date, start_date_local,
         utc_offset_s, elapsed_time_s, moving_time_s, distance_m, total_elevation_gain_m, average_heartrate,
         max_heartrate, calories, average_speed_mps, max_speed_mps, is_manual, device_name, raw, detail,
         updated_at) =
        (select m.user_id, m.connection_id, m.name, m.sport_type, m.provider_sport_type, m.start_date,
                m.start_date_local, m.utc_offset_s, m.elapsed_time_s, m.moving_time_s, m.distance_m,
                m.total_elevation_gain_m, m.average_heartrate, m.max_heartrate, m.calories,
                m.average_speed_mps, m.max_speed_mps, m.is_manual, m.device_name, m.raw, m.detail,
                excluded.updated_at
         from trainlytics_merge_activity(a, excluded) m)
      where trainlytics_activity_differs(a, trainlytics_merge_activity(a, excluded))
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

do $$
declare
  role_name text;
begin
  revoke execute on function trainlytics_commit_page(jsonb) from public;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function trainlytics_commit_page(jsonb) from %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function trainlytics_commit_page(jsonb) to service_role;
  end if;
end
$$;

commit;
