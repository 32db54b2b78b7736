-- users, follows, messages, flagged: the sums of their shards (a handful of rows, never a table scan).
SELECT name, sum(value)::float8 AS value FROM row_counts GROUP BY name
