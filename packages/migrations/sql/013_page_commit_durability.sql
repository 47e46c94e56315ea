-- Trainlytics 013 — a cheaper page commit, and durability tuned to what a page is worth.
--
-- trainlytics_commit_page (011) again, with two changes (docs/decisions/0023-refetchable-pages-and-read-ahead.md):
-- * the page's activities are read with one jsonb_to_recordset over the array instead of one
--   jsonb_to_record per element (same columns, same "last occurrence wins" order);
-- * `lease` renews the sync's lease in the page's transaction (one round trip and one commit per page
--   fewer than a separate trainlytics_acquire_lease before it; a page is never written without it);
-- * `refetchable: true` in the arguments makes the call's transaction commit with
--   synchronous_commit = off: the commit returns before its WAL record is flushed to disk. A crash of the
--   database server can then lose the last few such commits (at most about three times wal_writer_delay,
--   600 ms by default) — each one whole, its activities with the cursor that points past them, so the next
--   sync fetches those pages again from the provider. Core sends it only for sync pages the provider serves
--   again from the previous cursor (a page without a `commit` hook); Polar's transactional pages, webhooks
--   and every other write stay durable, and any durable commit (the sync's `finish_sync`) flushes every
--   earlier one. A crash of the app (kill -9) loses nothing the function returned: the server has the
--   commit. If a caller runs the function inside a larger transaction, that whole transaction commits so.
--
-- One transaction, idempotent (re-runnable, e.g. pasted twice into the Supabase SQL editor). Executable by
-- the owner and `service_role` only. Reverse it with 013_page_commit_durability.down.sql (011's function).

begin;

set local client_min_messages = warning;

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
