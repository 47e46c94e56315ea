-- Trainlytics definitions 04_sync_history.sql — sync history: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 003_trainlytics_core.sql)
-- args: { connection_id, sync_type, cursor_before, now } -> the new 'running' sync_history row.
create or replace function trainlytics_start_sync(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_row sync_history;
begin
  insert into sync_history (connection_id, sync_type, sync_started_at, sync_status, cursor_before)
  values (
    (args ->> 'connection_id')::int,
    coalesce(args ->> 'sync_type', 'incremental'),
    coalesce((args ->> 'now')::timestamptz, now()),
    'running',
    nullif(args -> 'cursor_before', 'null'::jsonb)
  )
  returning * into v_row;
  return to_jsonb(v_row);
exception
  when foreign_key_violation then
    raise exception using
      errcode = 'TL404', message = format('No connection with id %s', args ->> 'connection_id');
end
$$;

-- (from 003_trainlytics_core.sql)
-- args: { id, status, completed_at, error_name?, error_message?, requests_made? } -> the row.
create or replace function trainlytics_finish_sync(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_row sync_history;
begin
  update sync_history h set
    sync_status = (args ->> 'status')::sync_status,
    sync_completed_at = coalesce((args ->> 'completed_at')::timestamptz, now()),
    error_name = args ->> 'error_name',
    error_message = args ->> 'error_message',
    requests_made = h.requests_made + coalesce((args ->> 'requests_made')::int, 0)
  where h.id = (args ->> 'id')::int
  returning * into v_row;
  if not found then
    raise exception using errcode = 'TL404', message = format('No sync with id %s', args ->> 'id');
  end if;
  return to_jsonb(v_row);
end
$$;

-- (from 003_trainlytics_core.sql)
-- args: { connection_id, message, now } -> how many 'running' rows were closed as failed.
create or replace function trainlytics_fail_running_syncs(args jsonb)
returns int
language plpgsql
volatile
set search_path from current
as $$
declare
  v_count int;
begin
  update sync_history h set
    sync_status = 'failed',
    sync_completed_at = coalesce((args ->> 'now')::timestamptz, now()),
    error_message = args ->> 'message'
  where h.connection_id = (args ->> 'connection_id')::int and h.sync_status = 'running';
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

-- (from 003_trainlytics_core.sql)
-- args: { id, connection_id?, user_id?, limit? } -> array of sync_history rows, newest first.
create or replace function trainlytics_list_syncs(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(to_jsonb(h) order by h.sync_started_at desc, h.id desc), '[]'::jsonb)
  from (
    select h.*
    from sync_history h
    where (args ->> 'id' is null or h.id = (args ->> 'id')::int)
      and (args ->> 'connection_id' is null or h.connection_id = (args ->> 'connection_id')::int)
      and (args ->> 'user_id' is null or h.connection_id in (
        select c.id from provider_connections c where c.user_id = (args ->> 'user_id')::int
      ))
    order by h.sync_started_at desc, h.id desc
    limit (args ->> 'limit')::int
  ) h
$$;

commit;
