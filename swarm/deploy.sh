#!/usr/bin/env bash
# Deploys MiniTwit on a Swarm manager, from a checkout of the commit being deployed:
#   swarm/deploy.sh TAG        (TLS=true adds swarm/tls.yml; STACK, MINITWIT_IMAGE, HEALTH_URL optional;
#                               STACK_OVERRIDES: more compose files, space-separated, applied last;
#                               ENCRYPT_BACKEND=false: the backend network unencrypted, for hosts
#                               without ESP between them, such as the multi-node test's namespaces)
# Config versions come from content hashes; the migration runs with the new image first (again when
# the tag is the same); then the rolling update (start-first, Swarm rolls a service back by itself when
# its new tasks fail); then /health through the proxy. If any of it fails, web and api are back on
# their previous image, the script says why and exits 1. Safe to run again with the same tag.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${1:?usage: swarm/deploy.sh TAG}
STACK=${STACK:-minitwit}
HEALTH_URL=${HEALTH_URL:-http://127.0.0.1/health}
TIMEOUT=${TIMEOUT:-600}
# `always` asks the registry for the image's digest (pinned tasks); `never` for images built locally.
RESOLVE_IMAGE=${RESOLVE_IMAGE:-always}
export MINITWIT_IMAGE=${MINITWIT_IMAGE:-ghcr.io/minitwit/minitwit}
export MINITWIT_TAG=$TAG

bash swarm/check-files.sh

# Swarm configs are immutable: a changed file gets a new name, an unchanged one keeps its name.
while read -r variable file; do
  hash=$(sha256sum "$file" | cut -c1-12)
  export "$variable=$hash"
done <<'FILES'
NGINX_CONF_V swarm/nginx.conf
NGINX_TLS_CONF_V swarm/nginx-tls.conf
BACKUP_SH_V swarm/backup.sh
DB_INIT_V swarm/db-init.sh
PROMETHEUS_YML_V observability/prometheus/prometheus.yml
PROMETHEUS_RULES_V observability/prometheus/rules.yml
GRAFANA_DATASOURCES_V observability/grafana/provisioning/datasources/datasources.yml
GRAFANA_DASHBOARDS_V observability/grafana/provisioning/dashboards/dashboards.yml
DASHBOARD_BUSINESS_V observability/grafana/dashboards/business.json
DASHBOARD_INFRASTRUCTURE_V observability/grafana/dashboards/infrastructure.json
DASHBOARD_SERVICE_LEVEL_V observability/grafana/dashboards/service-level.json
FILEBEAT_YML_V observability/filebeat/filebeat.yml
ILM_POLICY_V observability/elasticsearch/ilm-policy.json
FILES

files=(-c swarm/stack.yml)
if [ "${TLS:-false}" = true ]; then files+=(-c swarm/tls.yml); fi
for extra in ${STACK_OVERRIDES:-}; do files+=(-c "$extra"); done
image="${MINITWIT_IMAGE}:${TAG}"

log() { printf '%s deploy: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# The image a service's spec names, without the digest Swarm may have pinned.
spec_image() { docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$1" | sed 's/@sha256:.*//'; }

# Why the latest tasks of a service stopped, for the log of a failed deploy: their states and errors,
# and the last health checks of the newest task of the new image that has them (its container, stopped
# or not, on this node). Not only the task Swarm's update message names: by the time the rollback is
# seen, that message may name none, or a task that was stopped before its first check.
why() {
  local task container checks
  docker service ps "$1" --no-trunc --filter desired-state=shutdown \
    --format '  {{.Name}} {{.Image}}: {{.CurrentState}} {{.Error}}' | sed 's/@sha256:[0-9a-f]*//' | head -n 6 >&2 || true
  for task in $(docker service ps -q --no-trunc --filter desired-state=shutdown "$1" 2>/dev/null || true); do
    [ "$(docker inspect --format '{{.Spec.ContainerSpec.Image}}' "$task" 2>/dev/null | sed 's/@sha256:.*//')" = "$image" ] ||
      continue
    container=$(docker inspect --format '{{.Status.ContainerStatus.ContainerID}}' "$task" 2>/dev/null || true)
    [ -n "$container" ] || continue
    checks=$(docker inspect --format \
      '{{if .State.Health}}{{range .State.Health.Log}}  health check exit {{.ExitCode}}: {{.Output}}{{println}}{{end}}{{end}}' \
      "$container" 2>/dev/null | grep . | tail -n 3 || true)
    if [ -n "$checks" ]; then
      printf '%s\n' "$checks" >&2
      return 0
    fi
  done
}

# Waits for the migration job's current run (its job iteration; earlier runs of the same tag do not
# count) to complete. A failed task is retried by Swarm (restart_policy); the run fails when every
# allowed attempt has failed.
wait_migration() {
  local service="${STACK}_migrate" deadline=$((SECONDS + TIMEOUT)) iteration attempts ids states failed
  iteration=$(docker service inspect --format '{{.JobStatus.JobIteration.Index}}' "$service")
  attempts=$(docker service inspect --format '{{with .Spec.TaskTemplate.RestartPolicy}}{{with .MaxAttempts}}{{.}}{{end}}{{end}}' "$service")
  while [ $SECONDS -lt $deadline ]; do
    ids=$(docker service ps -q --no-trunc "$service" || true)
    states=""
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086 # one argument per task id
      states=$(docker inspect --format '{{.JobIteration.Index}} {{.Status.State}}' $ids 2>/dev/null |
        awk -v i="$iteration" '$1 == i {print $2}' || true)
    fi
    if grep -qx complete <<<"$states"; then log "migration complete"; return 0; fi
    failed=$(grep -cxE 'failed|rejected' <<<"$states" || true)
    if [ "$failed" -gt "${attempts:-0}" ]; then
      log "migration failed ${failed} times:"; docker service logs --tail 30 "$service" >&2 || true; return 1
    fi
    sleep 2
  done
  log "migration did not finish within ${TIMEOUT}s"; return 1
}

# Waits until a service runs all its replicas on the new image after its rolling update. Fails at once
# when Swarm rolled it back or paused it (the new tasks failed their health checks).
wait_converged() {
  local service="${STACK}_$1" deadline=$((SECONDS + TIMEOUT)) state current tasks desired running
  while [ $SECONDS -lt $deadline ]; do
    state=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$service")
    current=$(spec_image "$service")
    if [ "$current" != "$image" ] || [ "$state" = paused ] || [ "$state" = rollback_paused ]; then
      log "$service: update failed ($state), now on $current:" \
        "$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.Message}}{{end}}' "$service")"
      why "$service"
      return 1
    fi
    # Converged: no update in progress, and every task meant to run is running the new image.
    tasks=$(docker service ps "$service" --filter desired-state=running --format '{{.Image}} {{.CurrentState}}' |
      sed 's/@sha256:[0-9a-f]*//')
    desired=$(docker service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' "$service")
    running=$(grep -c "^${image} Running" <<<"$tasks" || true)
    case "$state" in
      updating | rollback_started) ;;
      *) if [ "$running" = "$desired" ] && [ "$(grep -c . <<<"$tasks")" = "$desired" ]; then
        log "$service: $running/$desired tasks running ${TAG}"; return 0
      fi ;;
    esac
    sleep 3
  done
  log "$service did not converge within ${TIMEOUT}s"; why "$service"; return 1
}

# Puts web and api back on their previous image where Swarm has not done so already, then exits 1.
rollback() {
  local name service
  for name in web api; do
    service="${STACK}_${name}"
    if [ "$(spec_image "$service")" = "$image" ]; then
      log "rolling back $service"
      docker service rollback --quiet --detach=false "$service" >/dev/null || true
    fi
    log "$service is on $(spec_image "$service")"
  done
  log "FAILED: ${image} is not live (reasons above)"
  exit 1
}

if docker service inspect "${STACK}_migrate" >/dev/null 2>&1; then
  log "migrating with ${image}"
  # --force: a job runs again only when its spec changes, and the same tag would not change it.
  no_resolve=()
  if [ "$RESOLVE_IMAGE" = never ]; then no_resolve=(--no-resolve-image); fi
  docker service update --quiet --detach --force --with-registry-auth "${no_resolve[@]}" \
    --image "$image" "${STACK}_migrate" >/dev/null
  wait_migration || { log "FAILED: migration with ${image}; nothing else changed"; exit 1; }
fi

# The stack as `docker stack config` renders it, without the backend network's `encrypted` option.
# Docker encrypts an overlay network whenever that option is present, whatever its value, so an override
# file cannot turn it off; this removes the key (and a driver_opts left empty).
unencrypted() {
  docker stack config "${files[@]}" | awk '
    /^[^ ]/ { top = $0 }
    top == "networks:" && /^      encrypted:/ { next }
    { line[++n] = $0 }
    END { for (i = 1; i <= n; i++) if (line[i] != "    driver_opts:" || line[i + 1] ~ /^      /) print line[i] }'
}

log "deploying stack ${STACK} with ${image}"
if [ "${ENCRYPT_BACKEND:-true}" = false ]; then
  log "backend network unencrypted (ENCRYPT_BACKEND=false)"
  unencrypted | docker stack deploy --with-registry-auth --resolve-image "$RESOLVE_IMAGE" --prune -c - "$STACK"
else
  docker stack deploy --with-registry-auth --resolve-image "$RESOLVE_IMAGE" --prune "${files[@]}" "$STACK"
fi
wait_migration || rollback
wait_converged web || rollback
wait_converged api || rollback

log "checking ${HEALTH_URL}"
if ! curl -fsS --max-time 5 --retry 10 --retry-delay 3 --retry-all-errors "$HEALTH_URL"; then
  echo
  log "health check failed"
  rollback
fi
echo
log "done: ${image} is live"
