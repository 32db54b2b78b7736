-- One row shared by every replica; the last request to record wins, as the simulator expects.
INSERT INTO latest (id, value) VALUES (true, $1)
ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value
