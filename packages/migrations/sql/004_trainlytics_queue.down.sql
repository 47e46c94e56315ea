-- Trainlytics 004 (down) — drops the shared rate-limit state of 004_trainlytics_queue.sql.
-- pg-boss's own `pgboss` schema is pg-boss's: drop it with `drop schema pgboss cascade`
-- if you stop using `trainlytics worker`. Nothing of 001–003 is touched.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

drop function if exists trainlytics_rate_limit_state(jsonb);
drop function if exists trainlytics_rate_limit_block(jsonb);
drop function if exists trainlytics_rate_limit_observe(jsonb);
drop function if exists trainlytics_rate_limit_reserve(jsonb);
drop function if exists trainlytics_rate_limit_roll(text, timestamptz);
drop table if exists trainlytics_worker_leases;
drop table if exists trainlytics_rate_limit_blocks;
drop table if exists trainlytics_rate_limits;

commit;
