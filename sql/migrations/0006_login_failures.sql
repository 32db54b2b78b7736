-- The login throttle's counts (src/data/throttle.ts), shared by every replica: failed sign-ins per
-- client address in a window that starts at the first failure.
CREATE TABLE login_failures (
  address text PRIMARY KEY,
  failures integer NOT NULL,
  window_start timestamptz NOT NULL
);
-- throttle/purge.sql: forgetting windows that have ended.
CREATE INDEX login_failures_window_idx ON login_failures (window_start);
