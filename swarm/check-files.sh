#!/usr/bin/env bash
# Every file the stack hands to Swarm as a config exists (`docker stack config` does not check;
# `docker stack deploy` would fail on the manager). Prints the missing ones.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
while read -r path; do
  if [ ! -f "$path" ]; then
    echo "missing: ${path#"$PWD/"}"
    missing=1
  fi
done < <(docker stack config -c swarm/stack.yml -c swarm/tls.yml | sed -n 's/^ *file: //p')
[ "$missing" -eq 0 ] && echo "every config file of the stack exists"
exit "$missing"
