-- Which of these sessions exist and have not expired: $1 their ids, $2 their users' ids, pairwise (a
-- cookie names both). One statement for every signed-in request that arrived meanwhile.
SELECT s.id, s.user_id
FROM unnest($1::text[], $2::integer[]) AS c (id, user_id)
JOIN sessions s ON s.id = c.id AND s.user_id = c.user_id
WHERE s.expires_at > now()
