"""`cypher-fakes`: every fake external server in one process and one asyncio loop.

Each HTTP fake is its own uvicorn server on its own port; the SMTP sink is aiosmtpd's
protocol on a server of the same loop. With a port of 0 the system picks a free one;
the ports actually bound are printed and, with `--ports-file`, written as JSON."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP
from starlette.types import ASGIApp

from cypher_fakes.control import Lifecycle
from cypher_fakes.mail.app import MailApi
from cypher_fakes.mail.app import build_app as mail_app
from cypher_fakes.mail.sink import Mailbox, SinkHandler
from cypher_fakes.settings import FakesSettings
from cypher_fakes.smartbill.app import SmartBillFake
from cypher_fakes.smartbill.app import build_app as smartbill_app
from cypher_fakes.suppliers.app import SupplierSites
from cypher_fakes.suppliers.app import build_app as suppliers_app
from cypher_fakes.woo.app import WooFake
from cypher_fakes.woo.app import build_app as woo_app
from cypher_runtime.logs import configure_logging

log = logging.getLogger("cypher_fakes")

PORT_FLAGS = {
    "smartbill": "smartbill_port",
    "woo": "woo_port",
    "suppliers": "suppliers_port",
    "smtp": "smtp_port",
    "mail_http": "mail_http_port",
}


class _Server(uvicorn.Server):
    """Several servers share one loop, so none of them may take over the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def parse_args(argv: list[str] | None) -> FakesSettings:
    settings = FakesSettings()
    parser = argparse.ArgumentParser(prog="cypher-fakes", description=__doc__)
    parser.add_argument("--host", default=settings.host)
    for name, attr in PORT_FLAGS.items():
        flag = "--" + attr.replace("_", "-")
        parser.add_argument(flag, type=int, default=getattr(settings, attr), help=f"{name} port")
    parser.add_argument("--ports-file", default=settings.ports_file)
    parser.add_argument(
        "--fault-timeout-seconds", type=float, default=settings.fault_timeout_seconds
    )
    args = parser.parse_args(argv)
    return settings.model_copy(update={k: v for k, v in vars(args).items()})


def _bind(host: str, port: int) -> socket.socket:
    config = uvicorn.Config(app=None, host=host, port=port, log_config=None)  # type: ignore[arg-type]
    return config.bind_socket()


async def serve(settings: FakesSettings) -> None:
    lifecycle = Lifecycle(settings.fault_timeout_seconds)
    mailbox = Mailbox()
    apps: dict[str, tuple[int, ASGIApp]] = {
        "smartbill": (settings.smartbill_port, smartbill_app(SmartBillFake(settings, lifecycle))),
        "woo": (settings.woo_port, woo_app(WooFake(settings))),
        "suppliers": (settings.suppliers_port, suppliers_app(SupplierSites(lifecycle))),
        "mail_http": (settings.mail_http_port, mail_app(MailApi(mailbox))),
    }
    servers: list[_Server] = []
    tasks: list[asyncio.Task[None]] = []
    ports: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    handler = SinkHandler(mailbox)
    smtp = await loop.create_server(
        lambda: SMTP(handler, hostname="cypher-fakes", enable_SMTPUTF8=True),
        settings.host,
        settings.smtp_port,
    )
    ports["smtp"] = smtp.sockets[0].getsockname()[1]
    for name, (port, app) in apps.items():
        sock = _bind(settings.host, port)
        ports[name] = sock.getsockname()[1]
        server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=1,
                lifespan="off",
            )
        )
        servers.append(server)
        tasks.append(asyncio.create_task(server.serve(sockets=[sock]), name=name))
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):
            break
        await asyncio.sleep(0.02)
    _announce(settings, ports)

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await asyncio.wait(
        [asyncio.create_task(stop.wait()), *tasks], return_when=asyncio.FIRST_COMPLETED
    )
    log.info("stopping")
    lifecycle.closing.set()
    smtp.close()
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)


def _announce(settings: FakesSettings, ports: dict[str, int]) -> None:
    host = settings.host
    urls: dict[str, Any] = {
        name: f"http://{host}:{port}" for name, port in ports.items() if name != "smtp"
    }
    log.info("fakes listening", extra={"ports": ports, "urls": urls})
    print(f"cypher-fakes ready {json.dumps(ports)}", flush=True)
    if settings.ports_file:
        path = Path(settings.ports_file)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(ports))
        os.replace(tmp, path)  # readers never see half a file


def cli(argv: list[str] | None = None) -> None:
    settings = parse_args(argv if argv is not None else sys.argv[1:])
    configure_logging("cypher-fakes", settings.log_level)
    try:
        asyncio.run(serve(settings))
    finally:
        if settings.ports_file:
            Path(settings.ports_file).unlink(missing_ok=True)


if __name__ == "__main__":
    cli()
