-- Idempotent: following twice keeps one relation.
INSERT INTO follows (who_id, whom_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
