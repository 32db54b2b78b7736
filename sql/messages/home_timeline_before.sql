-- home_timeline.sql older than the cursor $3 (the id of the last message already shown): the window
-- is the newest public messages before the cursor, the top-N each author's newest before it.
WITH followed AS MATERIALIZED (
  SELECT f.whom_id AS author_id FROM follows f WHERE f.who_id = $2
),
recent AS MATERIALIZED (
  SELECT p.id
  FROM (
    SELECT w.id, w.pub_date, w.author_id
    FROM messages w
    WHERE NOT w.flagged
      AND (w.pub_date, w.id) < (SELECT c.pub_date, c.id FROM messages c WHERE c.id = $3)
    ORDER BY w.pub_date DESC, w.id DESC
    LIMIT (SELECT CASE WHEN count(*) >= 100 THEN least(100 * count(*), 20000) ELSE 0 END FROM followed)
  ) p
  WHERE p.author_id = $2 OR p.author_id IN (SELECT author_id FROM followed)
  ORDER BY p.pub_date DESC, p.id DESC
  LIMIT (SELECT $1::integer)
)
SELECT m.id, m.text, m.pub_date, u.username, u.email
FROM messages m
JOIN users u ON u.id = m.author_id
WHERE m.id = ANY (ARRAY(
  SELECT id FROM recent WHERE (SELECT count(*) FROM recent) >= $1
  UNION ALL
  (
    SELECT t.id
    FROM (SELECT $2::integer AS author_id UNION SELECT author_id FROM followed) a
    CROSS JOIN LATERAL (
      SELECT x.id, x.pub_date
      FROM messages x
      WHERE x.author_id = a.author_id AND NOT x.flagged
        AND (x.pub_date, x.id) < (SELECT c.pub_date, c.id FROM messages c WHERE c.id = $3)
      ORDER BY x.pub_date DESC, x.id DESC
      LIMIT $1
    ) t
    WHERE (SELECT count(*) FROM recent) < $1
    ORDER BY t.pub_date DESC, t.id DESC
    LIMIT $1
  )
))
ORDER BY m.pub_date DESC, m.id DESC
