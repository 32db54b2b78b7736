#!/usr/bin/env bash
# `nginx -t` on the proxy's configuration as shipped, then with the HTTPS part included (a throw-away
# self-signed certificate standing in for the Docker secrets). Needs nginx and openssl; no root, no ports.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "nginx -t: swarm/nginx.conf"
mkdir -p "$work/plain"
cp "$here/nginx.conf" "$work/plain/nginx.conf"
"$nginx_bin" -t -q -p "$work/plain" -c "$work/plain/nginx.conf"

echo "nginx -t: swarm/nginx.conf with swarm/nginx-tls.conf"
mkdir -p "$work/tls/tls.d" "$work/secrets"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=minitwit.test" \
  -keyout "$work/secrets/tls_key" -out "$work/secrets/tls_cert" 2>/dev/null
cp "$here/nginx.conf" "$work/tls/nginx.conf"
sed "s#/run/secrets/#$work/secrets/#g" "$here/nginx-tls.conf" >"$work/tls/tls.d/minitwit.conf"
"$nginx_bin" -t -q -p "$work/tls" -c "$work/tls/nginx.conf"
echo "nginx configuration OK"
