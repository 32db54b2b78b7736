-- Per-author top-N: the newest $1 of each followed author (and the user), merged, read from the
-- index alone (messages_author_idx holds author, date and id); only the $1 winners touch the table.
-- Stays fast with thousands of follows and millions of messages (docs/performance.md).
SELECT m.id, m.text, m.pub_date, u.username, u.email
FROM (
  SELECT t.id, t.pub_date
  FROM (
    SELECT $2::integer AS author_id
    UNION
    SELECT f.whom_id FROM follows f WHERE f.who_id = $2
  ) a
  CROSS JOIN LATERAL (
    SELECT x.id, x.pub_date
    FROM messages x
    WHERE x.author_id = a.author_id AND NOT x.flagged
    ORDER BY x.pub_date DESC, x.id DESC
    LIMIT $1
  ) t
  ORDER BY t.pub_date DESC, t.id DESC
  LIMIT $1
) top
JOIN messages m ON m.id = top.id
JOIN users u ON u.id = m.author_id
ORDER BY top.pub_date DESC, top.id DESC
