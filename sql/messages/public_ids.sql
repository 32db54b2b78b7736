-- The ids of the newest unflagged messages of everyone, newest first, as text ("{9,8,7}"): what a first
-- page of the public timeline shows, read from messages_public_idx without the texts or the authors.
SELECT array(
  SELECT m.id FROM messages m WHERE NOT m.flagged ORDER BY m.pub_date DESC, m.id DESC LIMIT $1
)::text AS ids
