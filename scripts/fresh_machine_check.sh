#!/usr/bin/env bash
# Proves the README's two commands on a fresh machine: builds a bare Debian container
# (bootstrapped from Debian's packages with debootstrap; only make, Python 3 and Node —
# what the README asks a newcomer to have), copies a clean checkout of HEAD and
# ../shared into it, then runs `make dev` until /ready answers and the first screen has
# printed the URLs and the login, and `make test`. No PostgreSQL or RabbitMQ is in the
# container: the two commands must bring them up themselves (scripts/infra.py).
# Not part of `make test` (it takes a while); needs root, podman, buildah, runc and
# debootstrap (installed from Debian's packages when missing).
#
#   bash scripts/fresh_machine_check.sh            # transcript in .run/fresh-machine/
set -euo pipefail
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
shared="$repo/../shared"
work="$repo/.run/fresh-machine"
image=cypher-fresh-debian:bookworm
name="cypher-fresh-$$"
mkdir -p "$work"
log="$work/transcript.log"
: >"$log"
say() { echo "[fresh-machine $(date -u +%H:%M:%S)] $*" | tee -a "$log"; }

for tool in podman buildah runc debootstrap; do
  command -v "$tool" >/dev/null || missing="${missing:-} $tool"
done
if [ -n "${missing:-}" ]; then
  say "installing$missing from Debian's packages"
  apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null
fi

# Podman as this machine needs it: runc (crun refuses a hybrid cgroup setup) and
# ulimits within the hard limits. A config of our own, not the system's.
conf="$work/containers.conf"
cat >"$conf" <<CONF
[engine]
runtime = "runc"
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
CONF
export CONTAINERS_CONF="$conf"

if ! podman image exists "$image"; then
  say "bootstrapping a bare Debian bookworm, then make, python3-venv, nodejs, npm from Debian"
  rootfs="$work/rootfs"
  rm -rf "$rootfs"
  # minbase first, the rest with apt inside: debootstrap's --include cannot order
  # npm's hundreds of dependencies during the base configuration.
  debootstrap --variant=minbase --include=ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian >>"$log" 2>&1
  tar -C "$rootfs" -c . | podman import - cypher-fresh-minbase:bookworm >>"$log"
  rm -rf "$rootfs"
  printf '%s\n' 'FROM cypher-fresh-minbase:bookworm' \
    'RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make python3 python3-venv nodejs npm git procps && rm -rf /var/lib/apt/lists/*' \
    'CMD ["/bin/bash"]' >"$work/Containerfile"
  podman build -q --pull=never --network host -t "$image" -f "$work/Containerfile" "$work" >>"$log" 2>&1
fi

say "clean checkout of $(git -C "$repo" rev-parse --short HEAD) and ../shared into the container"
src="$work/src"
rm -rf "$src"
mkdir -p "$src"
git clone -q "$repo" "$src/cypher"
cp -r "$shared" "$src/shared"

# A network namespace of its own (so the machine's PostgreSQL/RabbitMQ on 127.0.0.1 are
# NOT visible), with the package registries reachable. Package downloads on this
# machine pass through a TLS-inspecting proxy: the machine's CA bundle is mounted
# read-only for that and named to uv, pip and node, as on any corporate laptop.
podman run -d --name "$name" --network slirp4netns \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  -e CI=true -e DEBIAN_FRONTEND=noninteractive \
  -e SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt -e PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
  -e NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  "$image" sleep infinity >/dev/null
trap 'podman rm -f "$name" >/dev/null 2>&1 || true' EXIT
podman exec "$name" mkdir -p /work
podman cp "$src/cypher" "$name:/work/cypher"
podman cp "$src/shared" "$name:/work/shared"
podman exec "$name" bash -c 'mkdir -p /etc/apt/apt.conf.d && cd /work/cypher && git log --oneline -1' | tee -a "$log"
podman exec "$name" bash -c 'for p in psql rabbitmq-server pg_ctlcluster uv; do command -v $p || echo "absent: $p"; done' | tee -a "$log"

say "make dev (until /ready and the first screen)"
started=$(date +%s)
podman exec -d "$name" bash -c 'cd /work/cypher && make dev >/tmp/dev.log 2>&1'
ready=""
for _ in $(seq 1 900); do
  if podman exec "$name" bash -c 'grep -q "admin" /tmp/dev.log 2>/dev/null && python3 -c "import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:8000/ready\", timeout=3)"' 2>/dev/null; then
    ready=yes
    break
  fi
  if ! podman exec "$name" pgrep -f "scripts/dev.py|make dev" >/dev/null 2>&1 && [ $(($(date +%s) - started)) -gt 120 ]; then
    break
  fi
  sleep 2
done
dev_seconds=$(($(date +%s) - started))
podman exec "$name" cat /tmp/dev.log >"$work/dev.log" || true
if [ -z "$ready" ]; then
  tail -60 "$work/dev.log" | tee -a "$log"
  say "FAILED: make dev did not reach /ready in ${dev_seconds}s"
  exit 1
fi
say "make dev reached /ready in ${dev_seconds}s; its first screen:"
grep -E "infra:|http://|admin|ready" "$work/dev.log" | head -30 | tee -a "$log"
# Ctrl-C as a person would (the [s] keeps pkill from matching its own command line).
podman exec "$name" bash -c 'pkill -INT -f "[s]cripts/dev.py"; sleep 10; pgrep -fa "[s]cripts/dev.py" || echo "make dev stopped"' | tee -a "$log"

say "make test"
started=$(date +%s)
set +e
podman exec "$name" bash -c 'cd /work/cypher && make test' >"$work/test.log" 2>&1
rc=$?
set -e
test_seconds=$(($(date +%s) - started))
tail -25 "$work/test.log" | tee -a "$log"
say "make test exited $rc after ${test_seconds}s (make dev: ${dev_seconds}s to /ready)"
exit $rc
