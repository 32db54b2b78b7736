-- $2: the author's id; $3: the id of the last message already shown.
SELECT m.id, m.text, m.pub_date, u.username, u.email
FROM messages m
JOIN users u ON u.id = m.author_id
WHERE m.author_id = $2 AND NOT m.flagged
  AND (m.pub_date, m.id) < (SELECT c.pub_date, c.id FROM messages c WHERE c.id = $3)
ORDER BY m.pub_date DESC, m.id DESC
LIMIT $1
