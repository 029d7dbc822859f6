"""pytest plugin (auto-loaded): fixtures for the real PostgreSQL and RabbitMQ, and the
fake external servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from cypher_testkit.broker import BrokerScope, delete_scope, new_scope
from cypher_testkit.databases import create_database, drop_database, migrated_database
from cypher_testkit.fakes import Fakes, FakesProcess
from cypher_testkit.infra import amqp_url


@pytest_asyncio.fixture(loop_scope="session")
async def database_factory() -> AsyncIterator[Callable[[str, Path | None], Awaitable[str]]]:
    """`await database_factory("pricing", migrations_dir)` → URL of a fresh database,
    dropped after the test."""
    created: list[str] = []

    async def make(prefix: str, migrations_dir: Path | None = None) -> str:
        url = (
            await migrated_database(prefix, migrations_dir)
            if migrations_dir is not None
            else await create_database(prefix)
        )
        created.append(url)
        return url

    yield make
    for url in created:
        await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def broker_scope() -> AsyncIterator[BrokerScope]:
    """A unique exchange and queue prefix on the real broker for one test; the queues
    and exchanges the test declared are deleted afterwards."""
    scope = new_scope(amqp_url())
    yield scope
    await delete_scope(scope)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def fakes_process(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Fakes]:
    """One `cypher-fakes` process on free ports for the whole test session."""
    log_path = tmp_path_factory.mktemp("fakes") / "cypher-fakes.log"
    process = FakesProcess(log_path)
    process.start()
    try:
        yield await process.wait_ready()
    finally:
        process.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def fakes(fakes_process: Fakes) -> Fakes:
    """The fake external servers, reset to their seed state for this test: use
    `fakes.smartbill_url`, `fakes.service_env()` … and their `/_fake/` control APIs."""
    await fakes_process.reset()
    return fakes_process
