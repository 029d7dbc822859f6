"""The chaos suite's own infrastructure: a PostgreSQL cluster and a RabbitMQ node on spare
ports in a temporary directory, started and removed by the suite — never the machine's
shared servers (PostgreSQL 5432, RabbitMQ rabbit@localhost:5672). SIGKILL of the
postmaster / of the node's VM is the fault; `start()` again is the recovery."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _as_user(name: str) -> dict[str, Any]:
    """Run a server as its own system user when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(name)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _chown(path: Path, name: str) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(name)
        os.chown(path, entry.pw_uid, entry.pw_gid)


async def _until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.1)


class PgCluster:
    def __init__(self, base: Path) -> None:
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.port = spare_port()
        self.log = self.dir / "postgres.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            check=False,
            **_as_user("postgres"),  # type: ignore[call-overload]
        )

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        _chown(self.dir, "postgres")
        done = self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stdout}\n{done.stderr}")

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c fsync=off "
            "-c full_page_writes=off -c shared_buffers=64MB"
        )
        # After a SIGKILL the old backends may take a moment to notice and exit.
        for _ in range(50):
            done = self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                "-o", opts, "-w", "-t", "30", "start",
            )  # fmt: skip
            if done.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"pg_ctl start failed: {done.stdout}\n{done.stderr}")

    def postmaster_pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pidfile.read_text().split()[0])
        return None

    def kill(self) -> None:
        """SIGKILL the postmaster (its backends notice and exit on their own)."""
        pid = self.postmaster_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")


class RabbitNode:
    def __init__(self, base: Path) -> None:
        self.dir = base / "rabbit"
        self.port = spare_port()
        self.dist_port = spare_port()
        self.nodename = "chaos@localhost"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        (self.dir / "enabled_plugins").write_text("[].\n")  # no management plugin
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "vm_memory_high_watermark.relative = 0.2\n"
            "disk_free_limit.absolute = 50MB\n"
        )
        (self.dir / "rabbitmq-env.conf").write_text("")
        for path in (self.dir, *self.dir.iterdir()):
            _chown(path, "rabbitmq")

    def env(self) -> dict[str, str]:
        d = self.dir
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(d),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(d / "advanced.config"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self) -> None:
        out = open(self.dir / "server.out", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            env=self.env(),
            cwd=self.dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_as_user("rabbitmq"),
        )

    async def wait_ready(self, timeout: float = 60) -> None:
        await _until(lambda: _answers(self.port), timeout, "RabbitMQ node listening")

    def _beams(self) -> list[int]:
        """The node's Erlang VM(s): processes of our session named beam.smp."""
        if self.proc is None:
            return []
        sid = self.proc.pid
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if os.getsid(int(entry.name)) != sid:
                    continue
                comm = (entry / "comm").read_text().strip()
                if comm.startswith("beam") or comm in ("erl_child_setup", "inet_gethost"):
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the node's VM (never epmd, which the machine's node shares)."""
        for pid in self._beams():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=10)

    def stop(self) -> None:
        self.kill()


class OwnInfra:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.pg = PgCluster(base)
        self.rabbit = RabbitNode(base)

    async def start(self) -> None:
        os.chmod(self.base, 0o755)
        self.pg.init()
        self.rabbit.init()
        self.rabbit.start()
        await asyncio.to_thread(self.pg.start)
        await self.rabbit.wait_ready()

    def remove(self) -> None:
        self.rabbit.stop()
        self.pg.stop()
        shutil.rmtree(self.base, ignore_errors=True)
