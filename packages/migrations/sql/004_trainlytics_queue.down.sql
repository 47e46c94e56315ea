-- Trainlytics 004 (down) — drops the shared rate-limit state of 004_trainlytics_queue.sql.
-- pg-boss's own `pgboss` schema is pg-boss's: drop it with `drop schema pgboss cascade`
-- if you stop using `trainlytics worker`. Nothing of 001–003 is touched.
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
  if to_regclass('trainlytics_rate_limit_blocks') is not null then
    select count(*) into n from trainlytics_rate_limit_blocks where blocked_until > now();
    if n > 0 then
      lost := lost || format('trainlytics_rate_limit_blocks: %s provider block(s) after a 429 still in force', n);
    end if;
  end if;
  if to_regclass('trainlytics_worker_leases') is not null then
    select count(*) into n from trainlytics_worker_leases;
    if n > 0 then
      lost := lost || format('trainlytics_worker_leases: %s lease(s) held by running workers', n);
    end if;
  end if;
  -- trainlytics_rate_limits only caches the providers' rate-limit headers: the next response refills it.
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '004_trainlytics_queue: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 004_trainlytics_queue would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

drop function if exists trainlytics_rate_limit_state(jsonb);
drop function if exists trainlytics_rate_limit_block(jsonb);
drop function if exists trainlytics_rate_limit_observe(jsonb);
drop function if exists trainlytics_rate_limit_reserve(jsonb);
drop function if exists trainlytics_rate_limit_roll(text, timestamptz);
drop table if exists trainlytics_worker_leases;
drop table if exists trainlytics_rate_limit_blocks;
drop table if exists trainlytics_rate_limits;

commit;
