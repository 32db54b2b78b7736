-- The simulator's unfollow: both users looked up and the pair deleted (idempotent) in one statement;
-- a null id back means that user does not exist.
WITH who AS (SELECT id FROM users WHERE username = $1),
whom AS (SELECT id FROM users WHERE username = $2),
removed AS (
  DELETE FROM follows USING who, whom
  WHERE follows.who_id = who.id AND follows.whom_id = whom.id
)
SELECT (SELECT id FROM who) AS who_id, (SELECT id FROM whom) AS whom_id
