-- One row shared by every replica; the last request to record wins, as the simulator expects.
-- Committed without waiting for the disk: every simulator request writes this one row, so each waited
-- for the previous one's WAL flush (2,000 upserts/s at 32 clients; 16,000/s so, docs/performance.md).
-- set_config(..., true) lasts until the end of this statement's own transaction; a crash may lose the
-- last fraction of a second of `latest`, never a message or a follow. Do not run it inside a
-- transaction that writes anything else: that transaction would commit asynchronously too.
INSERT INTO latest (id, value)
SELECT true, $1::bigint FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value
