-- Trainlytics 015 (down) — drops the due-connection index of 015_due_connections_index.sql. Nothing is
-- lost: an index only speeds up the scheduler's query (which then scans the table).
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

drop index if exists provider_connections_due_idx;

commit;
