#!/bin/sh
# Run by the postgres image on the database's first start only (/docker-entrypoint-initdb.d): a
# read-only role for Grafana's PostgreSQL data source, able to SELECT every table the migrations make.
set -eu
reader="${GRAFANA_POSTGRES_USER:-grafana_reader}"
password="$(cat "${GRAFANA_POSTGRES_PASSWORD_FILE:-/run/secrets/grafana_postgres_password}")"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB}" \
  -v reader="$reader" -v password="$password" -v owner="${POSTGRES_USER}" <<'SQL'
CREATE ROLE :"reader" LOGIN PASSWORD :'password' CONNECTION LIMIT 5;
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";
SQL
echo "db-init: read-only role ${reader} created"
