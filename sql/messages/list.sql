-- The operators' listing, newest first, flagged or not. Each filter is a parameter, NULL when unused:
-- $1 author's exact username, $2 text fragment (case-insensitive, matched literally: strpos, not LIKE,
-- so % and _ are plain characters), $3 true for flagged messages only, $4 at most this many rows.
SELECT m.id, u.username AS author, m.pub_date, m.flagged, m.text
FROM messages m
JOIN users u ON u.id = m.author_id
WHERE ($1::text IS NULL OR u.username = $1::text)
  AND ($2::text IS NULL OR strpos(lower(m.text), lower($2::text)) > 0)
  AND ($3::boolean IS NOT TRUE OR m.flagged)
ORDER BY m.pub_date DESC, m.id DESC
LIMIT $4
