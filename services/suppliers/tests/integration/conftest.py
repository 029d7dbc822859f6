"""Fixtures of the suppliers integration tests (the harness lives in suppliers_harness)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from cypher_testkit.broker import BrokerScope
from cypher_testkit.fakes import Fakes

# --import-mode=importlib puts nothing on sys.path; the harness is imported by its path
# from the repository root (namespace packages), the same name mypy gives it.
sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from services.suppliers.tests.integration.suppliers_harness import (
    DatabaseFactory,
    Running,
    running_service,
)


@pytest_asyncio.fixture(loop_scope="session")
async def service(
    database_factory: DatabaseFactory, broker_scope: BrokerScope, fakes: Fakes
) -> AsyncIterator[Running]:
    async with running_service(database_factory, broker_scope, fakes) as running:
        yield running
