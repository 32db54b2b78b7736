-- One more failure of address $1 at $3; a window of $2 seconds that has ended starts again.
INSERT INTO login_failures AS f (address, failures, window_start) VALUES ($1, 1, $3::timestamptz)
ON CONFLICT (address) DO UPDATE SET
  failures = CASE WHEN f.window_start <= $3::timestamptz - make_interval(secs => $2) THEN 1 ELSE f.failures + 1 END,
  window_start = CASE WHEN f.window_start <= $3::timestamptz - make_interval(secs => $2) THEN $3::timestamptz ELSE f.window_start END
