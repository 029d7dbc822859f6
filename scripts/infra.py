#!/usr/bin/env python3
"""Find or bring up the PostgreSQL and RabbitMQ that `make dev` and `make test` need,
and say in one line each which were chosen.

Order of preference, per dependency:
  1. the server named by the environment variable (when it answers);
  2. the local server on the default port (when it answers);
  3. a local server that is installed but stopped, started the way this machine
     starts it (Debian's pg_ctlcluster, `rabbitmq-server -detached`, Homebrew services);
  4. a container engine (docker or podman with compose): the compose file's
     `dev-postgres` / `dev-rabbitmq` services (profile dev-infra), started alone on the
     same loopback ports;
  5. on Debian/Ubuntu: the distribution's `postgresql` / `rabbitmq-server` packages,
     installed (asking first on a terminal; never asking in CI), started, and set up as
     the stack needs (trust auth for loopback connections, the guest account);
  6. otherwise: a message naming what is missing and the command that installs it.

Standard library only: it runs before the project's environment exists.
Usage: python3 scripts/infra.py --for dev|test [--yes]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Dependency:
    name: str
    env_var: str  # the variable that names the server, per use
    default_url: str
    compose_service: str
    debian_package: str
    install_hint: str

    @property
    def default_port(self) -> int:
        return urlparse(self.default_url).port or 0


POSTGRES_HINT = """\
  Debian/Ubuntu: sudo apt-get install postgresql   (this script does it when allowed)
  macOS:         brew install postgresql@16 && brew services start postgresql@16 \\
                 && createuser -s postgres
  Fedora/RHEL:   sudo dnf install postgresql-server && sudo postgresql-setup --initdb \\
                 && sudo systemctl start postgresql
  any, with a container engine: docker compose --profile dev-infra up -d dev-postgres"""
RABBITMQ_HINT = """\
  Debian/Ubuntu: sudo apt-get install rabbitmq-server   (this script does it when allowed)
  macOS:         brew install rabbitmq && brew services start rabbitmq
  Fedora/RHEL:   sudo dnf install rabbitmq-server && sudo systemctl start rabbitmq-server
  any, with a container engine: docker compose --profile dev-infra up -d dev-rabbitmq"""


def dependencies(purpose: str) -> list[Dependency]:
    pg_var, amqp_var = (
        ("CYPHER_TEST_PG_URL", "CYPHER_TEST_AMQP_URL")
        if purpose == "test"
        else ("CYPHER_PG_ADMIN_URL", "CYPHER_AMQP_URL")
    )
    return [
        Dependency(
            "PostgreSQL",
            pg_var,
            "postgresql://postgres@127.0.0.1:5432/postgres",
            "dev-postgres",
            "postgresql",
            POSTGRES_HINT,
        ),
        Dependency(
            "RabbitMQ",
            amqp_var,
            "amqp://guest:guest@127.0.0.1:5672/",
            "dev-rabbitmq",
            "rabbitmq-server",
            RABBITMQ_HINT,
        ),
    ]


# -- probes ---------------------------------------------------------------------------------
def answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 1):
            return True
    except OSError:
        return False


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(url):
            return True
        time.sleep(1)
    return False


def run(
    cmd: list[str], *, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=check, input=stdin)


def as_root(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo"):
        return ["sudo", *cmd]
    raise SystemExit(f"infra: {' '.join(cmd)} needs root and there is no sudo")


# -- 3. installed but stopped -----------------------------------------------------------------
def start_installed(dep: Dependency) -> str | None:
    """Start a local server that is installed but not running; the way it was started."""
    if dep.name == "PostgreSQL":
        clusters = sorted(glob.glob("/etc/postgresql/*/main"))
        if clusters and shutil.which("pg_ctlcluster"):
            version = Path(clusters[-1]).parent.name
            cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
            run(as_root(cmd), check=False)
            return f"started with: {' '.join(cmd)}"
        brew = shutil.which("brew")
        if brew and run([brew, "list", "postgresql@16"], check=False).returncode == 0:
            run(["brew", "services", "start", "postgresql@16"], check=False)
            return "started with: brew services start postgresql@16"
        return None
    if shutil.which("rabbitmq-server"):
        if sys.platform == "darwin" and shutil.which("brew"):
            run(["brew", "services", "start", "rabbitmq"], check=False)
            return "started with: brew services start rabbitmq"
        run(as_root(["rabbitmq-server", "-detached"]), check=False)
        return "started with: rabbitmq-server -detached"
    return None


# -- 4. a container engine ----------------------------------------------------------------------
def compose_command() -> list[str] | None:
    for engine in ("docker", "podman"):
        if shutil.which(engine) is None:
            continue
        if run([engine, "info"], check=False).returncode != 0:
            continue  # the client is here, the engine is not
        if run([engine, "compose", "version"], check=False).returncode == 0:
            return [engine, "compose"]
    return None


def start_in_container(dep: Dependency, compose: list[str]) -> str:
    cmd = [*compose, "-f", str(REPO / "docker-compose.yml"), "--profile", "dev-infra"]
    run([*cmd, "up", "-d", dep.compose_service])
    return f"container {dep.compose_service} via {' '.join(compose)}"


# -- 5. Debian/Ubuntu packages ------------------------------------------------------------------
def is_debian_like() -> bool:
    return Path("/etc/debian_version").exists() and shutil.which("apt-get") is not None


def may_install(dep: Dependency, assume_yes: bool) -> bool:
    if assume_yes or os.environ.get("CI"):
        return True
    if not sys.stdin.isatty():
        return False
    answer = input(f"infra: install {dep.debian_package} with apt-get now? [Y/n] ").strip()
    return answer.lower() in ("", "y", "yes")


_apt_updated = False


def apt_install(package: str) -> None:
    global _apt_updated
    env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive"]
    if not _apt_updated:
        run(as_root([*env_cmd, "apt-get", "update", "-q"]))
        _apt_updated = True
    run(as_root([*env_cmd, "apt-get", "install", "-y", "-q", "--no-install-recommends", package]))


def trust_loopback_postgres() -> None:
    """The stack connects as `postgres` over TCP on loopback without a password (as on a
    CI machine); Debian's default asks for one. Prepend trust lines for 127.0.0.1/::1."""
    for hba in glob.glob("/etc/postgresql/*/main/pg_hba.conf"):
        text = Path(hba).read_text()
        marker = "# cypher: local development trusts loopback connections\n"
        if marker in text:
            continue
        lines = marker + "host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
        run(as_root(["tee", hba]), stdin=lines + text)


def install_from_packages(dep: Dependency) -> str:
    apt_install(dep.debian_package)
    if dep.name == "PostgreSQL":
        trust_loopback_postgres()
        start_installed(dep)
        version = Path(sorted(glob.glob("/etc/postgresql/*/main"))[-1]).parent.name
        run(as_root(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "reload"]))
    else:
        start_installed(dep)
    return f"installed the {dep.debian_package} package and started it"


# -- the choice ---------------------------------------------------------------------------------
def ensure(dep: Dependency, assume_yes: bool) -> str:
    named = os.environ.get(dep.env_var)
    url = dep.default_url
    where = f"127.0.0.1:{dep.default_port}"
    if named:
        parsed = urlparse(named)
        if answers(named):
            return f"{dep.name}: {parsed.hostname}:{parsed.port} from {dep.env_var} (answering)"
        if (parsed.hostname, parsed.port) not in {
            ("127.0.0.1", dep.default_port),
            ("localhost", dep.default_port),
        }:
            raise SystemExit(
                f"infra: {dep.env_var} names {parsed.hostname}:{parsed.port}, which does not answer"
            )
    if answers(url):
        return f"{dep.name}: local server on {where} (answering)"
    how = start_installed(dep)
    if how and wait_for(url, 120):
        return f"{dep.name}: local server on {where} ({how})"
    compose = compose_command()
    if compose:
        how = start_in_container(dep, compose)
        if wait_for(url, 120):
            return f"{dep.name}: {how} on {where}"
    if is_debian_like() and may_install(dep, assume_yes):
        how = install_from_packages(dep)
        if wait_for(url, 120):
            return f"{dep.name}: local server on {where} ({how})"
    raise SystemExit(
        f"infra: no {dep.name} answers on {where} and none could be started here.\n"
        f"Install and start one (or set {dep.env_var} to a server that answers):\n"
        f"{dep.install_hint}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--for", dest="purpose", choices=("dev", "test"), required=True)
    parser.add_argument("--yes", action="store_true", help="install packages without asking")
    args = parser.parse_args()
    for dep in dependencies(args.purpose):
        print("infra: " + ensure(dep, args.yes), flush=True)


if __name__ == "__main__":
    main()
