-- $2: the id of the last message already shown (keyset cursor).
SELECT m.id, m.text, m.pub_date, u.username, u.email
FROM messages m
JOIN users u ON u.id = m.author_id
WHERE NOT m.flagged
  AND (m.pub_date, m.id) < (SELECT c.pub_date, c.id FROM messages c WHERE c.id = $2)
ORDER BY m.pub_date DESC, m.id DESC
LIMIT $1
