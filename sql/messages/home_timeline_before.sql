-- home_timeline.sql older than the cursor $3 (the id of the last message already shown).
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
      AND (x.pub_date, x.id) < (SELECT c.pub_date, c.id FROM messages c WHERE c.id = $3)
    ORDER BY x.pub_date DESC, x.id DESC
    LIMIT $1
  ) t
  ORDER BY t.pub_date DESC, t.id DESC
  LIMIT $1
) top
JOIN messages m ON m.id = top.id
JOIN users u ON u.id = m.author_id
ORDER BY top.pub_date DESC, top.id DESC
