-- Trainlytics 008 (down) — drops `trainlytics_describe_lease` of 008_trainlytics_lease_holders.sql. No data
-- is lost: the leases stay in `trainlytics_leases`.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

drop function if exists trainlytics_describe_lease(jsonb);

commit;
