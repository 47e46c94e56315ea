-- Trainlytics 003 (down) — drops what 003_trainlytics_core.sql created: the
-- store functions and the SDK's own tables (pending OAuth states, leases and
-- the webhook deliveries seen). Nothing of 001/002 is touched.
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
  r record;
begin
  if to_regclass('trainlytics_oauth_states') is not null then
    select count(*) into n from trainlytics_oauth_states where expires_at > now();
    if n > 0 then
      lost := lost || format('trainlytics_oauth_states: %s pending authorization(s) (those users must connect again)', n);
    end if;
  end if;
  if to_regclass('trainlytics_leases') is not null then
    select count(*) into n from trainlytics_leases where expires_at > now();
    if n > 0 then
      lost := lost || format('trainlytics_leases: %s lease(s) held (a sync or refresh is running)', n);
    end if;
  end if;
  if to_regclass('trainlytics_webhook_events') is not null then
    select count(*) into n from trainlytics_webhook_events;
    if n > 0 then
      lost := lost || format('trainlytics_webhook_events: %s delivery key(s) (redeliveries would be processed again)', n);
    end if;
  end if;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '003_trainlytics_core: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 003_trainlytics_core would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

drop function if exists trainlytics_record_webhook_event(jsonb);
drop function if exists trainlytics_release_lease(jsonb);
drop function if exists trainlytics_acquire_lease(jsonb);
drop function if exists trainlytics_count_activities(jsonb);
drop function if exists trainlytics_list_activities(jsonb);
drop function if exists trainlytics_list_syncs(jsonb);
drop function if exists trainlytics_fail_running_syncs(jsonb);
drop function if exists trainlytics_finish_sync(jsonb);
drop function if exists trainlytics_commit_page(jsonb);
drop function if exists trainlytics_start_sync(jsonb);
drop function if exists trainlytics_delete_expired_oauth_states(jsonb);
drop function if exists trainlytics_consume_oauth_state(jsonb);
drop function if exists trainlytics_save_oauth_state(jsonb);
drop function if exists trainlytics_update_tokens(jsonb);
drop function if exists trainlytics_update_connection(jsonb);
drop function if exists trainlytics_upsert_connection(jsonb);
drop function if exists trainlytics_list_connections(jsonb);
drop function if exists trainlytics_activity_json(activities);
drop function if exists trainlytics_text_array(jsonb);
drop function if exists trainlytics_require_provider(text);
drop function if exists trainlytics_provider(text);

drop table if exists trainlytics_webhook_events;
drop table if exists trainlytics_leases;
drop table if exists trainlytics_oauth_states;

commit;
