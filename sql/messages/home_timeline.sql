-- Per-author top-N: the newest $1 of each followed author (and the user), merged.
-- Stays fast with hundreds of follows and millions of messages (see data.md).
SELECT m.id, m.text, m.pub_date, u.username, u.email
FROM (
  SELECT $2::integer AS author_id
  UNION
  SELECT f.whom_id FROM follows f WHERE f.who_id = $2
) a
CROSS JOIN LATERAL (
  SELECT x.id, x.text, x.pub_date, x.author_id
  FROM messages x
  WHERE x.author_id = a.author_id AND NOT x.flagged
  ORDER BY x.pub_date DESC, x.id DESC
  LIMIT $1
) m
JOIN users u ON u.id = m.author_id
ORDER BY m.pub_date DESC, m.id DESC
LIMIT $1
