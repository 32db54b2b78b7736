SELECT value::float8 AS value FROM latest
