-- Trainlytics 003 (down) — drops what 003_trainlytics_core.sql created: the
-- store functions and the SDK's own tables (pending OAuth states, leases and
-- the webhook deliveries seen). Nothing of 001/002 is touched.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

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
