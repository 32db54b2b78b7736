-- The simulator's POST /msgs/{username}: author looked up and message inserted in one statement;
-- no row back means no such user.
INSERT INTO messages (author_id, text)
SELECT id, $2 FROM users WHERE username = $1
RETURNING id
