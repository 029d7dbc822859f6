"""The running stack for end-to-end tests: every service and the gateway as real
processes on fresh databases, a private exchange and queues on the real broker."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from cypher_testkit.infra import amqp_url, postgres_admin_url
from cypher_testkit.stack import LocalStack, StackConfig

LOG_DIR = Path(os.environ.get("CYPHER_E2E_LOG_DIR", Path(__file__).parent / ".logs"))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack() -> AsyncIterator[LocalStack]:
    config = StackConfig(
        pg_admin_url=postgres_admin_url(),
        amqp_url=amqp_url(),
        log_dir=LOG_DIR,
        fresh=True,
        extra_env={
            # Spans to stdout so tests can follow a trace into the service logs.
            "OTEL_TRACES_EXPORTER": "console",
            # The stack's queues disappear from the shared broker soon after it stops.
            "CYPHER_QUEUE_EXPIRES_MS": "60000",
            # One admin drives every test: per-user API and write budgets are raised so
            # the suite is not throttled; the login limit stays as in production.
            "GATEWAY_RATE_LIMIT_API": "100000/15 minutes",
            "GATEWAY_RATE_LIMIT_WRITES": "100000/minute",
        },
    )
    local = LocalStack(config)
    await local.create_databases()
    try:
        local.migrate()
        local.start()
        await local.wait_ready()
        yield local
    finally:
        local.stop()
        await local.drop_databases()
