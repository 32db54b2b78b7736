#!/usr/bin/env bash
# The README's start command, as written, in the clone given as $1 with only PATH and HOME:
# `npm ci && npm start` must serve the public timeline on :5000 and the API on :5001. Stops what it starts.
set -euo pipefail
cd "$1"
for port in 5000 5001; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already taken on this machine: the start check cannot run"
    exit 1
  fi
done
log=$(mktemp)
setsid env -i PATH="$PATH" HOME="$HOME" bash -c 'npm ci && npm start' >"$log" 2>&1 &
group=$!
stop() {
  kill -TERM -- "-$group" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$group" 2>/dev/null || true
  rm -f "$log"
}
trap stop EXIT

for _ in $(seq 1 240); do
  curl -sf http://127.0.0.1:5000/health >/dev/null && break
  kill -0 "$group" 2>/dev/null || { echo "npm start exited:"; cat "$log"; exit 1; }
  sleep 0.5
done
page=$(curl -sfL http://localhost:5000/) || { echo "GET http://localhost:5000/ failed"; cat "$log"; exit 1; }
grep -q "Public Timeline" <<<"$page" || { echo "http://localhost:5000/ does not show the public timeline"; exit 1; }
latest=$(curl -sf http://localhost:5001/latest) || { echo "GET http://localhost:5001/latest failed"; cat "$log"; exit 1; }
grep -Eq '^\{"latest": ?-?[0-9]+\}$' <<<"$latest" || { echo "the API answered $latest"; exit 1; }
echo "npm start: http://localhost:5000/ shows the public timeline, http://localhost:5001/latest answers $latest"
