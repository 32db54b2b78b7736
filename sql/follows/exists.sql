SELECT 1 AS found FROM follows WHERE who_id = $1 AND whom_id = $2
