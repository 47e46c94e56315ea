-- Trainlytics definitions 05_commit_page.sql — commit page: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 011_activity_merge.sql)
-- The row a write of `incoming` leaves, given the `stored` row (see the rule above). Only the columns the
-- store writes are touched; every other column (id, created_at, legacy columns) is the stored one.
create or replace function trainlytics_merge_activity(stored activities, incoming activities)
returns activities
language plpgsql
stable
set search_path from current
as $$
declare
  merged activities := stored;
begin
  merged.user_id := incoming.user_id;
  merged.connection_id := incoming.connection_id;
  merged.sport_type := incoming.sport_type;
  merged.start_date := incoming.start_date;
  merged.is_manual := incoming.is_manual;
  if coalesce(incoming.detail, 'detail') = 'summary' and coalesce(stored.detail, 'detail') = 'detail' then
    merged.name := coalesce(incoming.name, stored.name);
    merged.provider_sport_type := coalesce(incoming.provider_sport_type, stored.provider_sport_type);
    merged.start_date_local := coalesce(incoming.start_date_local, stored.start_date_local);
    merged.utc_offset_s := coalesce(incoming.utc_offset_s, stored.utc_offset_s);
    merged.elapsed_time_s := coalesce(incoming.elapsed_time_s, stored.elapsed_time_s);
    merged.moving_time_s := coalesce(incoming.moving_time_s, stored.moving_time_s);
    merged.distance_m := coalesce(incoming.distance_m, stored.distance_m);
    merged.total_elevation_gain_m := coalesce(incoming.total_elevation_gain_m, stored.total_elevation_gain_m);
    merged.average_heartrate := coalesce(incoming.average_heartrate, stored.average_heartrate);
    merged.max_heartrate := coalesce(incoming.max_heartrate, stored.max_heartrate);
    merged.calories := coalesce(incoming.calories, stored.calories);
    merged.average_speed_mps := coalesce(incoming.average_speed_mps, stored.average_speed_mps);
    merged.max_speed_mps := coalesce(incoming.max_speed_mps, stored.max_speed_mps);
    merged.device_name := coalesce(incoming.device_name, stored.device_name);
    -- raw and detail stay the detail's
  else
    merged.name := incoming.name;
    merged.provider_sport_type := incoming.provider_sport_type;
    merged.start_date_local := incoming.start_date_local;
    merged.utc_offset_s := incoming.utc_offset_s;
    merged.elapsed_time_s := incoming.elapsed_time_s;
    merged.moving_time_s := incoming.moving_time_s;
    merged.distance_m := incoming.distance_m;
    merged.total_elevation_gain_m := incoming.total_elevation_gain_m;
    merged.average_heartrate := incoming.average_heartrate;
    merged.max_heartrate := incoming.max_heartrate;
    merged.calories := incoming.calories;
    merged.average_speed_mps := incoming.average_speed_mps;
    merged.max_speed_mps := incoming.max_speed_mps;
    merged.device_name := incoming.device_name;
    merged.raw := incoming.raw;
    merged.detail := coalesce(incoming.detail, 'detail');
  end if;
  return merged;
end
$$;

-- (from 011_activity_merge.sql)
-- Whether the store's columns of two activities rows differ (what counts as an update).
create or replace function trainlytics_activity_differs(a activities, b activities)
returns boolean
language sql
stable
set search_path from current
as $$
  select (a.user_id, a.connection_id, a.name, a.sport_type, a.provider_sport_type, a.start_date,
          a.start_date_local, a.utc_offset_s, a.elapsed_time_s, a.moving_time_s, a.distance_m,
          a.total_elevation_gain_m, a.average_heartrate, a.max_heartrate, a.calories, a.average_speed_mps,
          a.max_speed_mps, a.is_manual, a.device_name, a.raw, a.detail)
    is distinct from
         (b.user_id, b.connection_id, b.name, b.sport_type, b.provider_sport_type, b.start_date,
          b.start_date_local, b.utc_offset_s, b.elapsed_time_s, b.moving_time_s, b.distance_m,
          b.total_elevation_gain_m, b.average_heartrate, b.max_heartrate, b.calories, b.average_speed_mps,
          b.max_speed_mps, b.is_manual, b.device_name, b.raw, b.detail)
$$;

-- (from 013_page_commit_durability.sql)
-- args: { connection_id, sync_id (may be null), activities: [... each with detail?: 'summary' | 'detail'],
--         deleted_ids: [...], rejected: [...], cursor? (written when the key is present), requests_made, now,
--         refetchable? (true: the provider serves the page again if it is lost, see above),
--         lease? ({ key, owner, expires_at }: renewed in this transaction; TL409 and nothing written when
--         another owner holds it) }
-- -> { created, updated, deleted, lease (true when the lease was renewed here) }. One transaction (one
--    function call):
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
  if coalesce((args ->> 'refetchable')::boolean, false) then
    -- this transaction's commit does not wait for its WAL flush (it stays atomic: page and cursor together)
    perform set_config('synchronous_commit', 'off', true);
  end if;

  select * into v_connection from provider_connections c where c.id = (args ->> 'connection_id')::int;
  if not found then
    raise exception using errcode = 'TL404', message = format('No connection with id %s', args ->> 'connection_id');
  end if;

  if args ? 'lease' then
    -- the sync's lease, renewed in the page's own transaction (what trainlytics_acquire_lease does): the
    -- page is written only while its owner holds the lease, and a crash loses the renewal with the page
    insert into trainlytics_leases as l (key, owner, expires_at)
    values (args #>> '{lease,key}', args #>> '{lease,owner}', (args #>> '{lease,expires_at}')::timestamptz)
    on conflict (key) do update set owner = excluded.owner, expires_at = excluded.expires_at
    where l.expires_at <= v_now or l.owner = excluded.owner;
    if not found then
      raise exception using errcode = 'TL409',
        message = format('The lease %s is held by another process: the page was not written', args #>> '{lease,key}');
    end if;
  end if;

  if jsonb_typeof(args -> 'activities') = 'array' and jsonb_array_length(args -> 'activities') > 0 then
    with input as (
      -- the last occurrence wins when a page lists an activity twice
      -- (one set-returning call for the whole array, not one record expansion per element)
      select distinct on (x.provider_activity_id) x.*
      from rows from (jsonb_to_recordset(args -> 'activities') as (
        provider_activity_id text, name text, sport_type text, provider_sport_type text,
        start_date timestamptz, start_date_local timestamp, utc_offset_s numeric, elapsed_time_s numeric,
        moving_time_s numeric, distance_m double precision, total_elevation_gain_m double precision,
        average_heartrate double precision, max_heartrate double precision, calories double precision,
        average_speed_mps double precision, max_speed_mps double precision, is_manual boolean,
        device_name text, raw jsonb, detail text
      )) with ordinality as x(
        provider_activity_id, name, sport_type, provider_sport_type, start_date, start_date_local,
        utc_offset_s, elapsed_time_s, moving_time_s, distance_m, total_elevation_gain_m, average_heartrate,
        max_heartrate, calories, average_speed_mps, max_speed_mps, is_manual, device_name, raw, detail, ord
      )
      order by x.provider_activity_id, x.ord desc
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

  return jsonb_build_object('created', v_created, 'updated', v_updated, 'deleted', v_deleted,
    'lease', args ? 'lease');
end
$$;

commit;
