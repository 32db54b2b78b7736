-- Seconds until address $1 may try again, when it has $2 failures in the window of $3 seconds open at $4.
SELECT ceil(extract(epoch FROM window_start + make_interval(secs => $3) - $4::timestamptz))::integer AS wait
FROM login_failures
WHERE address = $1 AND failures >= $2 AND window_start > $4::timestamptz - make_interval(secs => $3)
