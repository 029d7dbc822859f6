"""The fake external servers (`cypher-fakes`, one process) for tests and the local stack:
their addresses, the environment variables that point the services at them, and a
process wrapper that starts them on fixed or free ports."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from cypher_fakes.settings import (
    DEV_SMARTBILL_CIF,
    DEV_SMARTBILL_EMAIL,
    DEV_SMARTBILL_TOKEN,
    DEV_WOO_CONSUMER_KEY,
    DEV_WOO_CONSUMER_SECRET,
)
from cypher_testkit.processes import ServiceProcess, console_script

FIXED_PORTS = {"smartbill": 8201, "woo": 8202, "suppliers": 8203, "smtp": 2525, "mail_http": 8204}
HOST = "127.0.0.1"


def configured_ports() -> dict[str, int]:
    """The fixed ports, each overridable like the fakes process's own `FAKES_<NAME>_PORT`."""
    return {
        name: int(os.environ.get(f"FAKES_{name.upper()}_PORT", port))
        for name, port in FIXED_PORTS.items()
    }


def fakes_command(ports: dict[str, int], ports_file: Path | None = None) -> list[str]:
    """`cypher-fakes` with a flag per port (0 = a free one)."""
    args = [*console_script("cypher-fakes")]
    if ports_file is not None:
        args += ["--ports-file", str(ports_file)]
    for name, port in ports.items():
        args += [f"--{name.replace('_', '-')}-port", str(port)]
    return args


@dataclass(frozen=True)
class Fakes:
    """Where the fakes listen, and the credentials of their accounts."""

    ports: dict[str, int]
    host: str = HOST
    smartbill_email: str = DEV_SMARTBILL_EMAIL
    smartbill_token: str = DEV_SMARTBILL_TOKEN
    smartbill_cif: str = DEV_SMARTBILL_CIF
    woo_consumer_key: str = DEV_WOO_CONSUMER_KEY
    woo_consumer_secret: str = DEV_WOO_CONSUMER_SECRET

    def _url(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    @property
    def smartbill_url(self) -> str:
        """Server root; the real API lives under `/SBORO/api/`, control under `/_fake/`."""
        return self._url("smartbill")

    @property
    def smartbill_api_url(self) -> str:
        return self._url("smartbill") + "/SBORO/api"

    @property
    def woo_url(self) -> str:
        """Shop root: the REST API is under `/wp-json/wc/v3/`."""
        return self._url("woo")

    @property
    def suppliers_url(self) -> str:
        return self._url("suppliers")

    @property
    def mail_url(self) -> str:
        """The SMTP sink's HTTP side (`/_fake/messages`)."""
        return self._url("mail_http")

    @property
    def smtp_host(self) -> str:
        return self.host

    @property
    def smtp_port(self) -> int:
        return self.ports["smtp"]

    def http_urls(self) -> dict[str, str]:
        names = ("smartbill", "woo", "suppliers", "mail_http")
        return {n: self._url(n) for n in names if n in self.ports}

    def service_env(self) -> dict[str, str]:
        """What the services read to reach the fakes as if they were the real systems."""
        env: dict[str, str] = {}
        if "smartbill" in self.ports:
            env["INTEGRATION_SMARTBILL_BASE_URL"] = self.smartbill_api_url
            env["INTEGRATION_SMARTBILL_EMAIL"] = self.smartbill_email
            env["INTEGRATION_SMARTBILL_TOKEN"] = self.smartbill_token
            env["INTEGRATION_SMARTBILL_CIF"] = self.smartbill_cif
        if "woo" in self.ports:
            env["INTEGRATION_WOO_BASE_URL"] = self.woo_url
            env["INTEGRATION_WOO_CONSUMER_KEY"] = self.woo_consumer_key
            env["INTEGRATION_WOO_CONSUMER_SECRET"] = self.woo_consumer_secret
        if "smtp" in self.ports:
            env["INTEGRATION_SMTP_HOST"] = self.smtp_host
            env["INTEGRATION_SMTP_PORT"] = str(self.smtp_port)
        if "suppliers" in self.ports:
            env["SUPPLIERS_FAKE_SITES_BASE_URL"] = self.suppliers_url
        return env

    async def wait_ready(self, process: ServiceProcess, timeout: float = 30) -> None:
        """Every HTTP fake answers its health check (the SMTP sink starts before them)."""
        for url in self.http_urls().values():
            await process.wait_http(f"{url}/_fake/health", timeout)

    async def reset(self) -> None:
        """Back to the seed state: every fake's documents, products, items, faults and
        request logs, and the SMTP sink's messages."""
        async with httpx.AsyncClient(timeout=10) as client:
            for name, url in self.http_urls().items():
                if name == "mail_http":
                    reply = await client.delete(f"{url}/_fake/messages")
                else:
                    reply = await client.post(f"{url}/_fake/reset")
                reply.raise_for_status()


class FakesProcess:
    """`cypher-fakes` as a child process. `ports=None` lets it pick free ports and read
    them back from its ports file; otherwise the given ports (e.g. FIXED_PORTS)."""

    def __init__(
        self,
        log_path: Path,
        ports: dict[str, int] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="cypher-fakes-")
        self.ports_file = Path(self._dir.name) / "ports.json"
        wanted = ports or dict.fromkeys(FIXED_PORTS, 0)
        self.process = ServiceProcess(fakes_command(wanted, self.ports_file), env or {}, log_path)
        self.fakes: Fakes | None = None

    def start(self) -> None:
        self.process.start()

    async def wait_ready(self, timeout: float = 30) -> Fakes:
        deadline = time.monotonic() + timeout
        while not self.ports_file.exists():
            proc = self.process.proc
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"cypher-fakes exited:\n{self.process.logs()[-4000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"cypher-fakes not up in {timeout}s:\n{self.process.logs()}")
            await asyncio.sleep(0.05)
        self.fakes = Fakes(ports=json.loads(self.ports_file.read_text()))
        await self.fakes.wait_ready(self.process, max(1.0, deadline - time.monotonic()))
        return self.fakes

    def stop(self) -> None:
        self.process.terminate()
        self._dir.cleanup()
