-- Trainlytics 016 (down) — drops `activity_streams` and the streams functions.
--
-- Lossless or refused (docs/decisions/0008-down-migrations-lossless-or-refused.md): stored streams would be
-- lost (they can be fetched again from the providers, within their rate limits, but the provider may no
-- longer have them), so the guard counts them and refuses unless forced.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

do $guard$
declare
  mode text := coalesce(current_setting('trainlytics.down', true), '');
  lost text[] := array[]::text[];
  n bigint := 0;
begin
  if to_regclass('activity_streams') is not null then
    execute 'select count(*) from activity_streams' into n;
  end if;
  if n > 0 then
    lost := lost || format('activity_streams: the streams of %s activit(ies) (samples, laps, routes)', n);
  end if;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '016_activity_streams: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 016_activity_streams would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

drop function if exists trainlytics_save_activity_streams(jsonb);
drop function if exists trainlytics_get_activity_streams(jsonb);
drop function if exists trainlytics_get_activity(jsonb);
drop function if exists trainlytics_list_streams_backlog(jsonb);
drop function if exists trainlytics_count_streams_backlog(jsonb);
drop table if exists activity_streams;

commit;
