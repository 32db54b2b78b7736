-- messages/count_flagged.sql and `minitwit messages --flagged`: flagged messages are few, so this
-- partial index stays tiny, and counting them for every metrics scrape does not scan the table.
CREATE INDEX messages_flagged_idx ON messages (pub_date DESC, id DESC) WHERE flagged;
