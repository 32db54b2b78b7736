-- Row counts for metrics and dashboards, kept by statement-level triggers in the writing
-- transaction, so that no scrape scans millions of rows. Each count is the sum of up to 16
-- shards (chosen by backend process id), so concurrent writers on many replicas rarely wait
-- on the same row; a bulk INSERT ... SELECT costs one update, not one per row.
CREATE TABLE row_counts (
  name text NOT NULL,
  shard smallint NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (name, shard)
);

CREATE FUNCTION row_counts_add(counter text, delta bigint) RETURNS void LANGUAGE sql AS $$
  INSERT INTO row_counts (name, shard, value) VALUES (counter, pg_backend_pid() % 16, delta)
  ON CONFLICT (name, shard) DO UPDATE SET value = row_counts.value + excluded.value
$$;

-- users, follows, messages: rows added or removed; for messages also the flagged ones.
CREATE FUNCTION row_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint := 0;
  flagged bigint := 0;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT count(*) INTO delta FROM new_rows;
    IF TG_TABLE_NAME = 'messages' THEN SELECT count(*) INTO flagged FROM new_rows WHERE new_rows.flagged; END IF;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT -count(*) INTO delta FROM old_rows;
    IF TG_TABLE_NAME = 'messages' THEN SELECT -count(*) INTO flagged FROM old_rows WHERE old_rows.flagged; END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT (SELECT count(*) FROM new_rows WHERE new_rows.flagged) - (SELECT count(*) FROM old_rows WHERE old_rows.flagged)
      INTO flagged;
  END IF;
  IF delta <> 0 THEN PERFORM row_counts_add(TG_TABLE_NAME, delta); END IF;
  IF flagged <> 0 THEN PERFORM row_counts_add('flagged', flagged); END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION row_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM row_counts WHERE name = TG_TABLE_NAME OR (TG_TABLE_NAME = 'messages' AND name = 'flagged');
  RETURN NULL;
END
$$;

CREATE TRIGGER users_count_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
CREATE TRIGGER users_count_delete AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
CREATE TRIGGER users_count_truncate AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_truncate();

CREATE TRIGGER follows_count_insert AFTER INSERT ON follows REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
CREATE TRIGGER follows_count_delete AFTER DELETE ON follows REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
CREATE TRIGGER follows_count_truncate AFTER TRUNCATE ON follows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_truncate();

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
-- Flagging is an UPDATE (operators' command line); column lists are not allowed with transition tables.
CREATE TRIGGER messages_count_update AFTER UPDATE ON messages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_change();
CREATE TRIGGER messages_count_truncate AFTER TRUNCATE ON messages
  FOR EACH STATEMENT EXECUTE FUNCTION row_counts_truncate();

-- The rows already there: CREATE TRIGGER has locked the tables against writes until commit.
INSERT INTO row_counts (name, shard, value)
SELECT 'users', 0, count(*) FROM users
UNION ALL SELECT 'follows', 0, count(*) FROM follows
UNION ALL SELECT 'messages', 0, count(*) FROM messages
UNION ALL SELECT 'flagged', 0, count(*) FROM messages WHERE flagged;
