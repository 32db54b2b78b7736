#!/usr/bin/env bash
# Deploys MiniTwit on a Swarm manager, from a checkout of the commit being deployed:
#   swarm/deploy.sh TAG        (TLS=true adds swarm/tls.yml; STACK, MINITWIT_IMAGE, HEALTH_URL optional)
# Config versions come from content hashes; the migration runs with the new image first; then the
# rolling update (start-first, Swarm rolls a service back by itself when its new tasks fail); then
# /health through the proxy. If that fails, web and api are rolled back and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${1:?usage: swarm/deploy.sh TAG}
STACK=${STACK:-minitwit}
HEALTH_URL=${HEALTH_URL:-http://127.0.0.1/health}
TIMEOUT=${TIMEOUT:-600}
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

log() { printf '%s deploy: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# Waits for the migration job's task on the new image to complete; fails on Failed/Rejected.
wait_migration() {
  local deadline=$((SECONDS + TIMEOUT)) states
  while [ $SECONDS -lt $deadline ]; do
    states=$(docker service ps "${STACK}_migrate" --no-trunc --format '{{.Image}} {{.CurrentState}}' |
      grep -F -e "${MINITWIT_IMAGE}:${TAG}@" -e "${MINITWIT_IMAGE}:${TAG} " || true)
    if grep -q ' Complete' <<<"$states"; then log "migration complete"; return 0; fi
    if grep -Eq ' (Failed|Rejected)' <<<"$states"; then
      log "migration failed:"; docker service logs --tail 50 "${STACK}_migrate" >&2 || true; return 1
    fi
    sleep 3
  done
  log "migration did not finish within ${TIMEOUT}s"; return 1
}

# Waits until a service's rolling update has completed and all its replicas run.
wait_converged() {
  local service="${STACK}_$1" deadline=$((SECONDS + TIMEOUT)) state replicas
  while [ $SECONDS -lt $deadline ]; do
    state=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$service")
    replicas=$(docker service ls --filter "name=$service" --format '{{.Name}} {{.Replicas}}' | awk -v s="$service" '$1 == s {print $2}')
    case "$state" in
      rollback_*|paused) log "$service: update $state"; return 1 ;;
    esac
    if { [ -z "$state" ] || [ "$state" = completed ]; } && [ "${replicas%%/*}" = "${replicas##*/}" ]; then
      log "$service: $replicas replicas on ${TAG}"; return 0
    fi
    sleep 5
  done
  log "$service did not converge within ${TIMEOUT}s"; return 1
}

rollback() {
  log "rolling back web and api"
  docker service rollback --detach=false "${STACK}_web" || true
  docker service rollback --detach=false "${STACK}_api" || true
  exit 1
}

if docker service inspect "${STACK}_migrate" >/dev/null 2>&1; then
  log "migrating with ${MINITWIT_IMAGE}:${TAG}"
  docker service update --quiet --detach --with-registry-auth --image "${MINITWIT_IMAGE}:${TAG}" "${STACK}_migrate"
  wait_migration
fi

log "deploying stack ${STACK} with ${MINITWIT_IMAGE}:${TAG}"
docker stack deploy --with-registry-auth --prune "${files[@]}" "$STACK"
wait_migration
wait_converged web || rollback
wait_converged api || rollback

log "checking ${HEALTH_URL}"
if ! curl -fsS --max-time 5 --retry 10 --retry-delay 3 --retry-all-errors "$HEALTH_URL"; then
  echo
  log "health check failed"
  rollback
fi
echo
log "done: ${MINITWIT_IMAGE}:${TAG} is live"
