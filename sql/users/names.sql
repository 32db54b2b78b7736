SELECT id, username, name_key, created_at FROM users ORDER BY id
