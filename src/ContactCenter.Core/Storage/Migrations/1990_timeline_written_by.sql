-- Which transaction wrote each event, so a reader can resume from a snapshot instead of an event id: ids are taken
-- at insert and transactions commit in another order, so "id > last seen" can skip an event whose transaction
-- commits after a later id was read (the web chat stream did). A default set after the column is added leaves
-- existing rows null without rewriting the table; they committed before any snapshot cursor existed.
alter table timeline_events add column written_by xid8;
alter table timeline_events alter column written_by set default pg_current_xact_id();
