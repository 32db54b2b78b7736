-- messages/home_timeline*.sql's window reads the newest public messages and tests each one's author
-- against the follow set: with the author in messages_public_idx that scan reads the index alone, with
-- no heap fetch per row (docs/performance.md, section 1). The index is built anew under its old name;
-- writes to messages wait for the build (seconds at course scale) inside the migration's transaction.
CREATE INDEX messages_public_author_idx ON messages (pub_date DESC, id DESC) INCLUDE (author_id) WHERE NOT flagged;
DROP INDEX messages_public_idx;
ALTER INDEX messages_public_author_idx RENAME TO messages_public_idx;
