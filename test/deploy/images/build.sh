#!/usr/bin/env bash
# Builds the test stand-ins for the upstream images the Dockerfile and swarm/stack.yml use, for a
# Docker engine that reaches no image registry (this project's CI machine). Each is tagged with the
# upstream name, so the Dockerfile and the stack run unchanged; none is pushed or used in production.
#   test/deploy/images/build.sh          (needs debootstrap, docker, and node_modules from npm ci)
# The Debian root file system (debootstrap --variant=minbase bookworm) is cached as a tarball under
# STANDIN_CACHE, keyed by its recipe, so a second run only imports it (or finds the image there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
SUITE=bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${STANDIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minitwit-standins}
BASE=minitwit-standin/debian:$SUITE
export DOCKER_BUILDKIT=0

log() { printf '%s images: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# The base: a minbase root file system, imported as an image.
base_key=$(printf 'debootstrap --variant=minbase %s %s\n' "$SUITE" "$MIRROR" | sha256sum | cut -c1-12)
if ! docker image inspect "$BASE" >/dev/null 2>&1 ||
  [ "$(docker image inspect -f '{{index .Config.Labels "standin.key"}}' "$BASE")" != "$base_key" ]; then
  tarball="$CACHE/debian-$SUITE-minbase-$base_key.tar"
  if [ ! -f "$tarball" ]; then
    log "debootstrap --variant=minbase $SUITE (once; cached in $tarball)"
    mkdir -p "$CACHE"
    work=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log"; exit 1; }
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar -C "$work/rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$work"
    trap - EXIT
  fi
  log "importing $tarball as $BASE"
  docker import --change "LABEL standin.key=$base_key" --change 'CMD ["bash"]' "$tarball" "$BASE" >/dev/null
fi

# The upstream names, read from the files that use them.
bun_version=$(sed -n 's/^ARG BUN_VERSION=//p' "$root/Dockerfile")
runtime=$(sed -n 's/^FROM \(gcr\.io\/distroless\/[^ ]*\).*/\1/p' "$root/Dockerfile")
image_of() { sed -n "s|^ *image: \\($1[^ ]*\\)\$|\\1|p" "$root/swarm/stack.yml" | head -n1; }
postgres=$(image_of postgres:)
nginx=$(image_of nginxinc/nginx-unprivileged:)
prometheus=$(image_of prom/prometheus:)

# Builds test/deploy/images/NAME as TAG; extra files for the build context after the tag.
standin() {
  local name=$1 tag=$2 context started
  shift 2
  context=$(mktemp -d)
  cp -r "$here/$name/." "$context/"
  [ $# -eq 0 ] || cp "$@" "$context/"
  started=$SECONDS
  docker build -q -t "$tag" "$context" >/dev/null || { rm -rf "$context"; log "building $tag failed"; exit 1; }
  rm -rf "$context"
  log "$tag ($name stand-in, $((SECONDS - started)) s, $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}'))"
}

bun_bin="$root/node_modules/bun/bin/bun.exe"
[ "$("$bun_bin" --version)" = "$bun_version" ] || { log "node_modules has Bun $("$bun_bin" --version), the Dockerfile wants $bun_version"; exit 1; }
bun_dir=$(mktemp -d)
cp "$bun_bin" "$bun_dir/bun"
standin bun "oven/bun:$bun_version" "$bun_dir/bun" /etc/ssl/certs/ca-certificates.crt
rm -rf "$bun_dir"
standin distroless "$runtime"
# The three that install Debian packages wait mostly on the mirror: side by side.
pids=()
standin postgres "$postgres" & pids+=($!)
standin nginx "$nginx" & pids+=($!)
standin prometheus "$prometheus" & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit "$failed"
