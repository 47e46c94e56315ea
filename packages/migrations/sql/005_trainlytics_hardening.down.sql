-- Trainlytics 005 (down) — drops the policies and the function of 005_trainlytics_hardening.sql and turns
-- row level security on `users` and `activities` off again. The revoked privileges of `anon` and
-- `authenticated` are not granted back (re-grant them yourself if your app relied on them).
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

drop function if exists trainlytics_forget_webhook_event(jsonb);
drop policy if exists users_select_own on users;
drop policy if exists activities_select_own on activities;
alter table users disable row level security;
alter table activities disable row level security;

commit;
