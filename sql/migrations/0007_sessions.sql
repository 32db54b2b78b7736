-- Signed-in sessions (src/data/sessions.ts): the signed cookie names one; signing out deletes it, so a
-- copy of the cookie stops working on every replica.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
-- Deleting a user deletes its sessions (ON DELETE CASCADE) without a scan.
CREATE INDEX sessions_user_idx ON sessions (user_id);
-- sessions/purge.sql: forgetting expired sessions.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
