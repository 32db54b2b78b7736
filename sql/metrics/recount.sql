-- Recomputes row_counts exactly (after rows were loaded with triggers disabled); run in a transaction.
LOCK TABLE users, follows, messages IN SHARE MODE;
DELETE FROM row_counts;
INSERT INTO row_counts (name, shard, value)
SELECT 'users', 0, count(*) FROM users
UNION ALL SELECT 'follows', 0, count(*) FROM follows
UNION ALL SELECT 'messages', 0, count(*) FROM messages
UNION ALL SELECT 'flagged', 0, count(*) FROM messages WHERE flagged;
