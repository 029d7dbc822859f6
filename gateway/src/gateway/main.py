"""`gateway serve | migrate | openapi`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import uvicorn

from cypher_runtime.logs import configure_logging
from cypher_runtime.migrations import migrate
from cypher_runtime.settings import load_settings
from cypher_runtime.tracing import configure_tracing, instrument_libraries
from gateway.app import create_app
from gateway.settings import GatewaySettings

MIGRATIONS = Path(__file__).parent / "migrations"


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gateway", description="CYPHER REST gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the REST API")
    sub.add_parser("migrate", help="apply the gateway's database migrations and exit")
    sub.add_parser("openapi", help="print the OpenAPI document the gateway serves")
    args = parser.parse_args(argv)
    settings = load_settings(GatewaySettings)
    if args.command == "openapi":
        # The same document as GET /openapi.json (built from the routes, no I/O).
        sys.stdout.write(json.dumps(create_app(settings).openapi(), indent=2) + "\n")
        return
    configure_logging("gateway", settings.log_level)
    if args.command == "migrate":
        migrate(MIGRATIONS, settings.database_url)
        logging.getLogger("gateway").info("migrations applied")
        return
    configure_tracing("gateway")
    instrument_libraries()
    uvicorn.run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
