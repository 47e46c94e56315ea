-- Trainlytics 005 (down) — drops the policies and the function of 005_trainlytics_hardening.sql and turns
-- row level security on `users` and `activities` off again. The revoked privileges of `anon` and
-- `authenticated` are not granted back (re-grant them yourself if your app relied on them), and the `select`
-- 005 granted `authenticated` is revoked with the policies that limited it. Nothing holds data: never refused.
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
  -- 005 added policies and a function, no data.
  null;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '005_trainlytics_hardening: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 005_trainlytics_hardening would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

drop function if exists trainlytics_forget_webhook_event(jsonb);
drop policy if exists users_select_own on users;
drop policy if exists activities_select_own on activities;
alter table users disable row level security;
alter table activities disable row level security;

-- 005 granted `authenticated` select on users and activities, limited by the policies just dropped: without
-- them it would read every user's rows.
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke select on users, activities from authenticated;
  end if;
end
$$;

commit;
