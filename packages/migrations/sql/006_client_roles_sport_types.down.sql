-- Trainlytics 006 (down) — nothing to undo: 006 created no object and holds no data. The privileges it
-- revoked stay revoked (re-opening tokens to Supabase's anon key is never what a rollback wants; re-grant
-- by hand what you really need) and the activities it re-mapped keep the Strava plugin's sport types.
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
  -- Nothing of this migration holds data: the privileges and sport types it set are kept.
  null;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '006_client_roles_sport_types: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 006_client_roles_sport_types would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

-- Keep the runner's bookkeeping true when this file is run by hand.
do $$
begin
  if to_regclass('trainlytics_migrations') is not null then
    execute 'delete from trainlytics_migrations where version = ''006''';
  end if;
end
$$;

commit;
