-- Trainlytics definitions 08_webhook_events.sql — webhook events: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 003_trainlytics_core.sql)
-- args: { provider, event_key, now } -> true the first time a delivery key is seen, false after.
create or replace function trainlytics_record_webhook_event(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  insert into trainlytics_webhook_events (provider, event_key, received_at)
  values (
    trainlytics_require_provider(args ->> 'provider'),
    args ->> 'event_key',
    coalesce((args ->> 'now')::timestamptz, now())
  )
  on conflict do nothing;
  return found;
end
$$;

-- (from 005_trainlytics_hardening.sql)
-- args: { provider, event_key } -> true when the key was recorded and is now forgotten.
create or replace function trainlytics_forget_webhook_event(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  delete from trainlytics_webhook_events
  where provider = trainlytics_require_provider(args ->> 'provider')
    and event_key = args ->> 'event_key';
  return found;
end
$$;

commit;
