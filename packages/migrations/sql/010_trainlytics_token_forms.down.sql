-- Trainlytics 010 (down) — drops trainlytics_token_forms() of 010_trainlytics_token_forms.sql. No data is
-- lost: the function only counts.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

drop function if exists trainlytics_token_forms(jsonb);

commit;
