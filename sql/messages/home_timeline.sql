-- The user's own messages and those of the authors they follow, newest first (ties by id), flagged
-- ones left out; bounded for every follow count (docs/performance.md, section 1).
-- 1. A window: the newest public messages, filtered by the follow set. A heavy follower's page is
--    among the first few hundred, and the scan stops at the $1th hit (the OR keeps the follow test a
--    hashed filter on the scan in time order; a semi-join would not).
-- 2. Only when the window holds fewer than $1 among its first 100 rows per followed author (20,000
--    at most): the per-author top-N, the newest $1 of each followed author (and the user), merged,
--    read from messages_author_idx alone. The window is read from messages_public_idx alone too (it
--    includes the author), so it can be long: the users who follow 140-220 authors find their page in
--    it instead of paying for both parts, and one that gives up has cost a few ms at most. Below 100
--    follows there is no window: the top-N alone costs a couple of ms at most there.
-- Only the $1 winners are read from the table, by id: the array also keeps the row estimates small.
-- LIMIT (SELECT $1) rather than $1: the planner guesses that limit alike in a custom and the generic
-- plan, so the plan cache settles on the generic one (planning cost as much as running).
WITH followed AS MATERIALIZED (
  SELECT f.whom_id AS author_id FROM follows f WHERE f.who_id = $2
),
recent AS MATERIALIZED (
  SELECT p.id
  FROM (
    SELECT w.id, w.pub_date, w.author_id
    FROM messages w
    WHERE NOT w.flagged
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
      ORDER BY x.pub_date DESC, x.id DESC
      LIMIT $1
    ) t
    WHERE (SELECT count(*) FROM recent) < $1
    ORDER BY t.pub_date DESC, t.id DESC
    LIMIT $1
  )
))
ORDER BY m.pub_date DESC, m.id DESC
