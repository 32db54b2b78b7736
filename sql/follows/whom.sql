-- The simulator's GET /fllws/{username}: whom user $1 follows, at most $2 names (primary key order).
SELECT u.username
FROM follows f
JOIN users u ON u.id = f.whom_id
WHERE f.who_id = $1
ORDER BY f.whom_id
LIMIT $2
