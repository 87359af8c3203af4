-- The rollup rows are updated in place by every ingest batch (usage-events.ts). Free space on
-- each page lets Postgres make those HOT updates (no index entries for the new row version):
-- fewer pages written per batch. Applies to pages written from now on.
alter table usage_rollups set (fillfactor = 70);
alter table usage_bot_hours set (fillfactor = 70);
alter table bots set (fillfactor = 80);
