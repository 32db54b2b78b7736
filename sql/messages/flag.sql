-- Flags the messages whose ids are in $1 (integer[]); returns each with whether it was flagged before.
-- The self-join reads the row as it was before this statement's update.
UPDATE messages m
SET flagged = true
FROM messages old
WHERE m.id = old.id AND m.id = ANY ($1::integer[])
RETURNING m.id, old.flagged AS was_flagged
