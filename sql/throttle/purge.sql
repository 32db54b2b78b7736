-- Windows of $2 seconds that ended before $1.
DELETE FROM login_failures WHERE window_start <= $1::timestamptz - make_interval(secs => $2)
