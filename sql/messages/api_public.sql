-- The simulator's GET /msgs: newest unflagged messages of everyone, pub_date as ISO 8601 UTC.
SELECT m.text AS content, to_char(m.pub_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS pub_date,
  u.username AS "user"
FROM messages m
JOIN users u ON u.id = m.author_id
WHERE NOT m.flagged
ORDER BY m.pub_date DESC, m.id DESC
LIMIT $1
