-- One person, one visible name: `name_key` is the name's normalised form (src/data/names.ts: NFKC,
-- look-alike letters of other scripts as Latin, case folded), unique like the name itself. The program
-- computes it (PostgreSQL has no TR39 data, and its lower() depends on the locale). Existing rows get
-- theirs from migrate.ts after this file, oldest first; a later row whose key an older one holds keeps
-- NULL: it still signs in and is found by its exact name, and `minitwit names` reports it.
ALTER TABLE users ADD COLUMN name_key text;
ALTER TABLE users ADD CONSTRAINT users_name_key_key UNIQUE (name_key);
-- users/fill_name_keys.sql: the rows still without a key (inserted by an older version, or colliding).
CREATE INDEX users_name_key_missing_idx ON users (id) WHERE name_key IS NULL;
