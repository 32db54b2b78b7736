-- How many messages are flagged (the moderation gauge): an index-only count on the small partial index.
SELECT count(*)::integer AS flagged FROM messages WHERE flagged
