-- The users of these names ($1, text[]) and, for each, the ids of their newest unflagged messages ($2
-- of them), newest first, as text ("{9,8,7}"): what a first page of their timeline shows, read from
-- messages_author_idx without the texts. Unknown names have no row.
SELECT u.id, u.username, u.email, array(
  SELECT m.id FROM messages m
  WHERE m.author_id = u.id AND NOT m.flagged
  ORDER BY m.pub_date DESC, m.id DESC
  LIMIT $2
)::text AS ids
FROM users u
WHERE u.username = ANY ($1::text[])
