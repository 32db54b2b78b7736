SELECT id, username, pw_hash FROM users WHERE username = $1
