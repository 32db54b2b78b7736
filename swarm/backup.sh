#!/bin/sh
# The `backup` service's loop: a custom-format pg_dump of the database every BACKUP_INTERVAL seconds
# into /backups (its own volume), dumps older than BACKUP_KEEP_DAYS removed. Restore: docs/operations.md.
set -eu
PGPASSWORD="$(cat "${PGPASSWORD_FILE:-/run/secrets/postgres_password}")"
export PGPASSWORD
interval="${BACKUP_INTERVAL:-21600}"
keep_days="${BACKUP_KEEP_DAYS:-14}"

until pg_isready -q; do
  echo "backup: waiting for ${PGHOST:-db}"
  sleep 5
done

while true; do
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  target="/backups/minitwit-${stamp}.dump"
  # Written under a temporary name, so a half-written dump never looks like a backup.
  if pg_dump --format=custom --compress=6 --file="${target}.partial"; then
    mv "${target}.partial" "${target}"
    echo "backup: wrote ${target} ($(du -h "${target}" | cut -f1))"
  else
    rm -f "${target}.partial"
    echo "backup: pg_dump failed" >&2
  fi
  find /backups -name 'minitwit-*.dump' -mtime "+${keep_days}" -delete
  sleep "${interval}"
done
