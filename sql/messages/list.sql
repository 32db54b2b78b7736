-- The operators' listing, newest first, flagged or not. Each filter is a parameter, NULL when unused:
-- $1 the author's id, $2 a text fragment (case-insensitive and literal: strpos, not LIKE, so % and _
-- are plain characters), $3 true for flagged messages only, $4 at most this many rows.
-- In two halves, so that each walks a partial index newest first and stops after $4 rows: not flagged
-- (messages_public_idx, or messages_author_idx for one author) and flagged (messages_flagged_idx).
SELECT l.id, u.username AS author, l.pub_date, l.flagged, l.text
FROM (
  (
    SELECT m.id, m.author_id, m.pub_date, m.flagged, m.text
    FROM messages m
    WHERE NOT m.flagged AND $3::boolean IS NOT TRUE
      AND ($1::integer IS NULL OR m.author_id = $1::integer)
      AND ($2::text IS NULL OR strpos(lower(m.text), lower($2::text)) > 0)
    ORDER BY m.pub_date DESC, m.id DESC
    LIMIT $4
  )
  UNION ALL
  (
    SELECT m.id, m.author_id, m.pub_date, m.flagged, m.text
    FROM messages m
    WHERE m.flagged
      AND ($1::integer IS NULL OR m.author_id = $1::integer)
      AND ($2::text IS NULL OR strpos(lower(m.text), lower($2::text)) > 0)
    ORDER BY m.pub_date DESC, m.id DESC
    LIMIT $4
  )
) l
JOIN users u ON u.id = l.author_id
ORDER BY l.pub_date DESC, l.id DESC
LIMIT $4
