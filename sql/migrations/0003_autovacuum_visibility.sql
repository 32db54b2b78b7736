-- Autovacuum soon after inserts, not after 20 % of the table: the timelines read messages and follows
-- by index-only scans, which need the visibility map current. At 5 M messages, 200,000 fresh rows
-- left 9,090 heap fetches in one home timeline and doubled its time (docs/performance.md).
ALTER TABLE messages SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_insert_threshold = 1000);
ALTER TABLE follows SET (
  autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_insert_threshold = 1000,
  autovacuum_vacuum_scale_factor = 0.02
);
