"""`<service> serve | migrate`: the one command-line entry point of every service."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cypher_runtime.app import Runtime
from cypher_runtime.logs import configure_logging
from cypher_runtime.migrations import migrate
from cypher_runtime.settings import ServiceSettings, load_settings
from cypher_runtime.tracing import configure_tracing, instrument_libraries

S = TypeVar("S", bound=ServiceSettings)


def run_cli(
    *,
    name: str,
    settings_cls: type[S],
    build: Callable[[S], Runtime],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=name, description=f"CYPHER {name} service")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the gRPC server, HTTP side port, relay and consumers")
    mig = sub.add_parser("migrate", help="apply database migrations and exit")
    mig.add_argument("--revision", default="head")
    args = parser.parse_args(argv)

    settings = load_settings(settings_cls)
    configure_logging(name, settings.log_level)
    log = logging.getLogger(name)
    if args.command == "migrate":
        migrate(migrations_dir, settings.database_url, args.revision)
        log.info("migrations applied", extra={"revision": args.revision})
        return
    configure_tracing(name)
    instrument_libraries()

    async def serve() -> None:
        # Built inside the running loop: gRPC channels and asyncio primitives created
        # by `build` belong to the loop that serves them.
        await build(settings).run()

    asyncio.run(serve())
