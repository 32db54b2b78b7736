INSERT INTO messages (author_id, text) VALUES ($1, $2) RETURNING id
