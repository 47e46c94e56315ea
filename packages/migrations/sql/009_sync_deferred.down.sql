-- Trainlytics 009 (down) — PostgreSQL cannot drop a value from an enum type without rebuilding the type
-- and everything that uses it, so the down keeps `deferred` in `sync_status`: lossless, and harmless to
-- the code of 008 and earlier, which never writes it. `sync_history` rows that say `deferred` stay as they
-- are (a deferred run is not a failure; rewriting them would lose what happened).
--
-- One transaction, idempotent (changes nothing).

begin;

select 1;

commit;
