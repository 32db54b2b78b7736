SELECT id, username FROM users WHERE name_key IS NULL ORDER BY id
