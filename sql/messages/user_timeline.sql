-- $2: the author's id.
SELECT m.id, m.text, m.pub_date, u.username, u.email
FROM messages m
JOIN users u ON u.id = m.author_id
WHERE m.author_id = $2 AND NOT m.flagged
ORDER BY m.pub_date DESC, m.id DESC
LIMIT $1
