-- Trainlytics 004 — the shared state of many sync workers: the providers' app-wide
-- rate limits.
--
-- When syncs run as jobs on many worker processes (`trainlytics worker`, pg-boss in
-- its own `pgboss` schema of this same database), the provider's app-wide rate limit
-- must hold across all of them. `postgresRateLimitTracker` of `@trainlytics/core/postgres`
-- keeps that state here:
--
-- * trainlytics_rate_limits: one row per provider, bucket (Strava `overall`, `read`)
--   and window (`15min`, `daily`): the limit, the requests counted in the current
--   window, and when it ends. Fed by the providers' rate-limit headers (observe) and
--   by every request reserved (reserve).
-- * trainlytics_rate_limit_blocks: a provider answered 429: nothing is sent before
--   `blocked_until`.
-- * trainlytics_worker_leases: which leases of 003 a worker process holds (see below).
-- * trainlytics_rate_limit_reserve(args jsonb) reserves one request atomically (a
--   transaction-scoped advisory lock per provider) and returns `{"wait_until": null}`
--   when it may be sent now, else the instant to wait for.
--
-- Windows with a known period (`period_ms`) are aligned on the epoch like Strava's
-- (:00, :15, :30, :45 UTC; daily at midnight UTC). Requests reserved in the last
-- `guard_ms` of a window are also counted in the next one, since the provider may
-- count them there.
--
-- Security as in 003: RLS on, nothing granted to `anon` / `authenticated`, EXECUTE
-- revoked from PUBLIC and granted to `service_role` where it exists. One
-- transaction, idempotent. Reverse it with 004_trainlytics_queue.down.sql.

begin;

set local client_min_messages = warning;

create table if not exists trainlytics_rate_limits (
  provider text not null,
  bucket text not null,
  window_name text not null,
  request_limit int not null,
  used int not null default 0,
  -- requests reserved within guard_ms of window_end: carried into the next window
  late int not null default 0,
  period_ms bigint,
  window_end timestamptz,
  updated_at timestamptz not null default now(),
  primary key (provider, bucket, window_name)
);

create table if not exists trainlytics_rate_limit_blocks (
  provider text primary key,
  blocked_until timestamptz not null
);

-- Leases (003's trainlytics_leases) held by `trainlytics worker` processes. A worker holds a
-- session advisory lock on hashtextextended(owner, 0) for as long as it holds the lease, so
-- when its process dies (SIGKILL, OOM, lost machine) PostgreSQL releases the lock and another
-- worker may take the lease over at once instead of waiting for it to expire.
create table if not exists trainlytics_worker_leases (
  owner text primary key,
  key text not null,
  acquired_at timestamptz not null default now()
);

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

alter table trainlytics_rate_limits enable row level security;
alter table trainlytics_rate_limit_blocks enable row level security;
alter table trainlytics_worker_leases enable row level security;

do $$
declare
  role_name text;
  fn text;
begin
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke all on trainlytics_rate_limits, trainlytics_rate_limit_blocks, trainlytics_worker_leases from %I', role_name);
    end if;
  end loop;

  foreach fn in array array[
    'trainlytics_rate_limit_roll(text, timestamptz)',
    'trainlytics_rate_limit_reserve(jsonb)',
    'trainlytics_rate_limit_observe(jsonb)',
    'trainlytics_rate_limit_block(jsonb)',
    'trainlytics_rate_limit_state(jsonb)'
  ] loop
    execute format('revoke execute on function %s from public', fn);
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke execute on function %s from %I', fn, role_name);
      end if;
    end loop;
    if exists (select 1 from pg_roles where rolname = 'service_role') then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;

  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant select, insert, update, delete on trainlytics_rate_limits, trainlytics_rate_limit_blocks,
      trainlytics_worker_leases to service_role;
  end if;
end
$$;

commit;
