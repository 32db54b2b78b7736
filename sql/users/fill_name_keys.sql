-- $1 ids, $2 their keys: each key goes to the oldest row wanting it, unless a row already holds it.
UPDATE users u SET name_key = k.key
FROM (
  SELECT DISTINCT ON (key) id, key FROM unnest($1::integer[], $2::text[]) AS t (id, key) ORDER BY key, id
) k
WHERE u.id = k.id AND u.name_key IS NULL AND NOT EXISTS (SELECT 1 FROM users o WHERE o.name_key = k.key)
RETURNING u.id
