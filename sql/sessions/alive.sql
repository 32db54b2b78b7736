SELECT true AS alive FROM sessions WHERE id = $1 AND user_id = $2 AND expires_at > now()
