-- The simulator's follow: both users looked up and the pair inserted (idempotent) in one statement;
-- a null id back means that user does not exist.
WITH who AS (SELECT id FROM users WHERE username = $1),
whom AS (SELECT id FROM users WHERE username = $2),
added AS (
  INSERT INTO follows (who_id, whom_id)
  SELECT who.id, whom.id FROM who, whom
  ON CONFLICT DO NOTHING
)
SELECT (SELECT id FROM who) AS who_id, (SELECT id FROM whom) AS whom_id
