SELECT id, username, email FROM users WHERE id = $1
