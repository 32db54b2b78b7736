INSERT INTO users (username, name_key, email, pw_hash) VALUES ($1, $2, $3, $4) RETURNING id
