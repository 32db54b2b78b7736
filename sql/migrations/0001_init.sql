-- The original MiniTwit's three tables, made sound, plus the simulator's `latest`.
CREATE TABLE users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL,
  email text NOT NULL,
  pw_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_username_check CHECK (username <> '' AND length(username) <= 64),
  CONSTRAINT users_email_check CHECK (email LIKE '%@%' AND length(email) <= 254)
);

CREATE TABLE follows (
  who_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  whom_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (who_id, whom_id)
);
-- "who follows X" (the primary key serves "whom does X follow").
CREATE INDEX follows_whom_idx ON follows (whom_id, who_id);

CREATE TABLE messages (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  author_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  text text NOT NULL,
  pub_date timestamptz NOT NULL DEFAULT now(),
  flagged boolean NOT NULL DEFAULT false,
  CONSTRAINT messages_text_check CHECK (text <> '' AND length(text) <= 1000)
);
-- messages/public_timeline*.sql: newest unflagged messages of everyone.
CREATE INDEX messages_public_idx ON messages (pub_date DESC, id DESC) WHERE NOT flagged;
-- messages/user_timeline*.sql and the per-author top-N of messages/home_timeline*.sql.
CREATE INDEX messages_author_idx ON messages (author_id, pub_date DESC, id DESC) WHERE NOT flagged;

-- The simulator's `latest`: exactly one row, shared by every replica.
CREATE TABLE latest (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  value bigint NOT NULL
);
