-- Trainlytics definitions 09_rate_limits.sql — rate limits: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 004_trainlytics_queue.sql)
-- Moves every window of `p` that ended before `t` to the window containing `t`.
create or replace function trainlytics_rate_limit_roll(p text, t timestamptz)
returns void
language sql
set search_path = public
as $$
  update trainlytics_rate_limits rl
     set used = case
                  when rl.period_ms is not null
                   and rl.window_end = to_timestamp(floor(extract(epoch from t) * 1000 / rl.period_ms) * rl.period_ms / 1000.0)
                  then rl.late
                  else 0
                end,
         late = 0,
         window_end = case
                        when rl.period_ms is null then null
                        else to_timestamp((floor(extract(epoch from t) * 1000 / rl.period_ms) + 1) * rl.period_ms / 1000.0)
                      end,
         updated_at = t
   where rl.provider = p
     and rl.window_end is not null
     and rl.window_end <= t;
$$;

-- (from 004_trainlytics_queue.sql)
create or replace function trainlytics_rate_limit_reserve(args jsonb)
returns jsonb
language plpgsql
set search_path = public
as $$
declare
  p text := args->>'provider';
  t timestamptz := (args->>'now')::timestamptz;
  guard interval := make_interval(secs => coalesce((args->>'guard_ms')::numeric, 0) / 1000);
  wait_until timestamptz;
begin
  perform pg_advisory_xact_lock(hashtext('trainlytics_rate_limit:' || p));
  perform trainlytics_rate_limit_roll(p, t);

  select blocked_until into wait_until
    from trainlytics_rate_limit_blocks
   where provider = p and blocked_until > t;

  select greatest(wait_until, max(rl.window_end)) into wait_until
    from trainlytics_rate_limits rl
   where rl.provider = p and rl.window_end is not null and rl.used >= rl.request_limit;

  if wait_until is not null then
    return jsonb_build_object('wait_until', wait_until);
  end if;

  update trainlytics_rate_limits rl
     set used = rl.used + 1,
         late = rl.late + case when rl.window_end is not null and rl.window_end - t <= guard then 1 else 0 end,
         updated_at = t
   where rl.provider = p;
  return jsonb_build_object('wait_until', null);
end;
$$;

-- (from 004_trainlytics_queue.sql)
-- args: { provider, now, guard_ms, windows: [{ bucket, name, limit, used, resets_at, period_ms }] }
create or replace function trainlytics_rate_limit_observe(args jsonb)
returns void
language plpgsql
set search_path = public
as $$
declare
  p text := args->>'provider';
  t timestamptz := (args->>'now')::timestamptz;
  guard_ms numeric := coalesce((args->>'guard_ms')::numeric, 0);
  w jsonb;
  period bigint;
  w_end timestamptz;
  fresh boolean;
begin
  perform pg_advisory_xact_lock(hashtext('trainlytics_rate_limit:' || p));
  perform trainlytics_rate_limit_roll(p, t);
  for w in select * from jsonb_array_elements(coalesce(args->'windows', '[]'::jsonb)) loop
    period := (w->>'period_ms')::bigint;
    if period is not null then
      w_end := to_timestamp((floor(extract(epoch from t) * 1000 / period) + 1) * period / 1000.0);
      -- just after a window starts a response may still carry the previous window's count
      fresh := extract(epoch from t) * 1000 - (floor(extract(epoch from t) * 1000 / period) * period) >= guard_ms;
    else
      w_end := (w->>'resets_at')::timestamptz;
      fresh := true;
    end if;
    insert into trainlytics_rate_limits as rl
      (provider, bucket, window_name, request_limit, used, late, period_ms, window_end, updated_at)
    values
      (p, w->>'bucket', w->>'name', (w->>'limit')::int,
       case when fresh then (w->>'used')::int else 0 end, 0, period, w_end, t)
    on conflict (provider, bucket, window_name) do update
      set request_limit = excluded.request_limit,
          period_ms = excluded.period_ms,
          used = case
                   when rl.window_end is not distinct from excluded.window_end
                     then case when fresh then greatest(rl.used, (w->>'used')::int) else rl.used end
                   else excluded.used
                 end,
          late = case when rl.window_end is not distinct from excluded.window_end then rl.late else 0 end,
          window_end = excluded.window_end,
          updated_at = t;
  end loop;
end;
$$;

-- (from 004_trainlytics_queue.sql)
-- args: { provider, until }
create or replace function trainlytics_rate_limit_block(args jsonb)
returns void
language sql
set search_path = public
as $$
  insert into trainlytics_rate_limit_blocks as b (provider, blocked_until)
  values (args->>'provider', (args->>'until')::timestamptz)
  on conflict (provider) do update
    set blocked_until = greatest(b.blocked_until, excluded.blocked_until);
$$;

-- (from 004_trainlytics_queue.sql)
-- args: { provider } -> { windows: [...], blocked_until }
create or replace function trainlytics_rate_limit_state(args jsonb)
returns jsonb
language sql
stable
set search_path = public
as $$
  select jsonb_build_object(
    'windows', coalesce((
      select jsonb_agg(jsonb_build_object(
               'bucket', rl.bucket, 'name', rl.window_name, 'limit', rl.request_limit,
               'used', rl.used, 'resets_at', rl.window_end) order by rl.bucket, rl.window_name)
        from trainlytics_rate_limits rl
       where rl.provider = args->>'provider'), '[]'::jsonb),
    'blocked_until', (select b.blocked_until from trainlytics_rate_limit_blocks b
                       where b.provider = args->>'provider'));
$$;

commit;
