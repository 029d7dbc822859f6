#!/usr/bin/env bash
# Builds the seven images from deploy/Dockerfile (`make images`) and runs each the way
# Kubernetes will (`make smoke-images`), with podman/buildah (docker works the same
# where an engine exists: set CYPHER_ENGINE=docker).
#
#   bash scripts/images.sh build     # all seven images, sizes printed
#   bash scripts/images.sh smoke     # migrate + serve each, non-root, read-only root fs
#
# The Dockerfile's bases are the upstream `python:3.11-slim` and
# `ghcr.io/astral-sh/uv:0.13`. Where no image registry can be reached (a CI machine
# that only reaches package registries), `standins` makes local images under those
# exact names, so `--pull=never` never reaches for a registry:
#   * python:3.11-slim  <- Debian bookworm from Debian's packages (debootstrap:
#     python3, python3-venv, ca-certificates), with /usr/local/bin/python3.11 linked
#     as the upstream image has it;
#   * ghcr.io/astral-sh/uv:0.13 <- `FROM scratch` + the uv binary from the uv wheel
#     on PyPI;
#   * cypher-build-python:3.11 <- the python stand-in plus this machine's CA bundle,
#     used ONLY as the builder stage's base (BUILD_IMAGE), because package downloads
#     here pass through a TLS-inspecting proxy. The shipped runtime stage never has it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
engine=${CYPHER_ENGINE:-podman}
tag=${CYPHER_IMAGE_TAG:-dev}
work="$repo/.run/images"
mkdir -p "$work"

# app  grpc  http  member
APPS="pricing 50051 8101 services/pricing
inventory 50052 8102 services/inventory
orders 50053 8103 services/orders
quotations 50054 8104 services/quotations
suppliers 50055 8105 services/suppliers
integration 50056 8106 services/integration
gateway - 8000 gateway"

say() { echo "[images $(date -u +%H:%M:%S)] $*"; }

podman_setup() {
  [ "$engine" = podman ] || return 0
  if ! command -v podman >/dev/null || ! command -v buildah >/dev/null || ! command -v runc >/dev/null; then
    say "installing podman, buildah, runc from Debian's packages"
    apt-get update -q >/dev/null && apt-get install -y -q podman buildah runc debootstrap >/dev/null
  fi
  # runc (crun refuses a hybrid cgroup setup) and ulimits within the hard limits.
  local nofile
  nofile=$(ulimit -Hn)
  cat >"$work/containers.conf" <<CONF
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
CONF
  export CONTAINERS_CONF="$work/containers.conf"
}

exists() { $engine image inspect "$1" >/dev/null 2>&1; }

standins() {
  if ! exists python:3.11-slim; then
    if $engine pull -q docker.io/library/python:3.11-slim >/dev/null 2>&1; then
      $engine tag docker.io/library/python:3.11-slim python:3.11-slim
    else
      say "no registry: python:3.11-slim stand-in from Debian's packages"
      command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
      local rootfs="$work/rootfs"
      rm -rf "$rootfs"
      debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1
      mkdir -p "$rootfs/usr/local/bin"
      ln -sf /usr/bin/python3.11 "$rootfs/usr/local/bin/python3.11"
      ln -sf /usr/bin/python3.11 "$rootfs/usr/local/bin/python3"
      ln -sf /usr/bin/python3.11 "$rootfs/usr/local/bin/python"
      rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
      tar -C "$rootfs" -c . | $engine import --change 'CMD ["python3"]' - python:3.11-slim >/dev/null
      rm -rf "$rootfs"
    fi
  fi
  if ! exists ghcr.io/astral-sh/uv:0.13; then
    if ! $engine pull -q ghcr.io/astral-sh/uv:0.13 >/dev/null 2>&1; then
      say "no registry: ghcr.io/astral-sh/uv:0.13 stand-in from the uv wheel on PyPI"
      local d="$work/uv"
      rm -rf "$d" && mkdir -p "$d"
      python3 -m pip download --quiet --no-deps -d "$d" "uv==0.13.*" \
        --only-binary=:all: --platform manylinux2014_x86_64
      (cd "$d" && python3 -m zipfile -e uv-*.whl x && cp x/uv-*.data/scripts/uv x/uv-*.data/scripts/uvx . && chmod 0755 uv uvx)
      printf 'FROM scratch\nCOPY uv uvx /\n' >"$d/Containerfile"
      $engine build -q --format docker -t ghcr.io/astral-sh/uv:0.13 -f "$d/Containerfile" "$d" >/dev/null
    fi
  fi
  if ! exists cypher-build-python:3.11; then
    local d="$work/build-python"
    rm -rf "$d" && mkdir -p "$d"
    cp /etc/ssl/certs/ca-certificates.crt "$d/ca-certificates.crt"
    # uv reads SSL_CERT_FILE (its own root store otherwise knows no proxy CA).
    printf 'FROM python:3.11-slim\nCOPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\nENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt\n' >"$d/Containerfile"
    $engine build -q --pull=never --format docker -t cypher-build-python:3.11 -f "$d/Containerfile" "$d" >/dev/null
  fi
}

build() {
  podman_setup
  standins
  local started=$SECONDS
  while read -r app grpc http member; do
    local args=(--build-arg "SERVICE=$app" --build-arg "MEMBER_DIR=$member" --build-arg "HTTP_PORT=$http")
    [ "$grpc" = - ] || args+=(--build-arg "GRPC_PORT=$grpc")
    if exists cypher-build-python:3.11; then
      args+=(--build-arg "BUILD_IMAGE=cypher-build-python:3.11")
    fi
    say "building cypher/$app:$tag"
    local t0=$SECONDS
    $engine build --pull=never --format docker --network host -f deploy/Dockerfile \
      "${args[@]}" -t "cypher/$app:$tag" . >"$work/build-$app.log" 2>&1 || {
      tail -40 "$work/build-$app.log"
      say "FAILED: cypher/$app"
      exit 1
    }
    say "built cypher/$app:$tag in $((SECONDS - t0))s"
  done <<<"$APPS"
  say "all seven images built in $((SECONDS - started))s; sizes:"
  $engine images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^localhost/cypher/\|^cypher/" | sort
}

# N distinct free ports: all sockets stay open until every port is chosen.
free_ports() {
  python3 -c 'import socket,sys
socks=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

smoke() {
  podman_setup
  # Globals, not locals: the EXIT trap runs after this function has returned.
  run_id="smoke$(date +%s)"
  pg="${CYPHER_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
  amqp="${CYPHER_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/}"
  containers=()
  databases=()
  cleanup() {
    for c in "${containers[@]}"; do $engine rm -f "$c" >/dev/null 2>&1 || true; done
    for db in "${databases[@]}"; do
      psql -q "$pg" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
    "${UV:-uv}" run --frozen python scripts/smoke_queues.py delete "$amqp" "$run_id." "cypher.events.$run_id" >/dev/null 2>&1 || true
  }
  trap cleanup EXIT
  local env_common=(-e CYPHER_ENV=development -e "CYPHER_AMQP_URL=$amqp"
    -e "CYPHER_EVENTS_EXCHANGE=cypher.events.$run_id" -e "CYPHER_QUEUE_PREFIX=$run_id."
    -e CYPHER_QUEUE_EXPIRES_MS=600000 -e OTEL_TRACES_EXPORTER=none)
  declare -A grpc_port http_port
  local ports
  read -r -a ports <<<"$(free_ports 14)"
  local i=0
  while read -r app grpc http member; do
    grpc_port[$app]=${ports[$i]}
    http_port[$app]=${ports[$((i + 1))]}
    i=$((i + 2))
  done <<<"$APPS"
  local upstreams=()
  for app in pricing inventory orders quotations suppliers integration; do
    upstreams+=(-e "CYPHER_${app^^}_ADDR=127.0.0.1:${grpc_port[$app]}")
  done
  while read -r app grpc http member; do
    local db="smoke_${run_id}_$app" prefix="${app^^}_"
    psql -q "$pg" -c "CREATE DATABASE \"$db\"" >/dev/null
    databases+=("$db")
    local dburl
    dburl=$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(scheme='postgresql+asyncpg', path='/'+sys.argv[2]).geturl())" "$pg" "$db")
    local env_app=("${env_common[@]}" "${upstreams[@]}" -e "${prefix}DATABASE_URL=$dburl"
      -e "${prefix}HTTP_PORT=${http_port[$app]}")
    [ "$app" = gateway ] || env_app+=(-e "${prefix}GRPC_PORT=${grpc_port[$app]}")
    [ "$app" != gateway ] || env_app+=(-e CYPHER_ADMIN_EMAIL=admin@smoke.local -e CYPHER_ADMIN_PASSWORD=smoke-admin-pw-1)
    # As Kubernetes runs it: the image's non-root user, read-only root fs, writable /tmp.
    local k8s=(--read-only --tmpfs /tmp:rw,size=64m --network host --user 10001:10001 --cap-drop ALL)
    say "$app: migrate"
    $engine run --rm --no-healthcheck "${k8s[@]}" "${env_app[@]}" "cypher/$app:$tag" migrate >"$work/smoke-$app-migrate.log" 2>&1 || {
      tail -30 "$work/smoke-$app-migrate.log"; say "FAILED: $app migrate"; exit 1; }
    local name="cypher-$run_id-$app"
    $engine run -d --no-healthcheck --name "$name" "${k8s[@]}" "${env_app[@]}" "cypher/$app:$tag" >/dev/null
    containers+=("$name")
  done <<<"$APPS"
  while read -r app grpc http member; do
    local url="http://127.0.0.1:${http_port[$app]}/ready" ok=""
    for _ in $(seq 1 90); do
      if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null; then ok=1; break; fi
      sleep 1
    done
    [ -n "$ok" ] || { $engine logs "cypher-$run_id-$app" 2>&1 | tail -30; say "FAILED: $app /ready"; exit 1; }
    say "$app: /ready 200 on :${http_port[$app]}"
  done <<<"$APPS"
  # A real request through the gateway and the services behind it.
  python3 scripts/smoke_request.py "http://127.0.0.1:${http_port[gateway]}" admin@smoke.local smoke-admin-pw-1
  # SIGTERM as a rollout sends it: each must stop cleanly (exit 0) well inside
  # Kubernetes' default 30 s grace period.
  for name in "${containers[@]}"; do
    local t0=$SECONDS code
    $engine stop -t 30 "$name" >/dev/null 2>&1
    code=$($engine inspect -f '{{.State.ExitCode}}' "$name")
    say "${name##*-}: stopped by SIGTERM in $((SECONDS - t0))s, exit $code"
    [ "$code" = 0 ] || { $engine logs "$name" 2>&1 | tail -20; say "FAILED: ${name##*-} exit $code"; exit 1; }
  done
  say "smoke passed; cleaning up"
}

case "${1:-}" in
  standins) podman_setup; standins ;;
  build) build ;;
  smoke) smoke ;;
  *) echo "usage: $0 build|smoke|standins" >&2; exit 2 ;;
esac
