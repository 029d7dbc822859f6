"""Fixtures of the integration tests: one running harness per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from cypher_testkit.broker import BrokerScope
from cypher_testkit.fakes import Fakes

from .harness import DatabaseFactory, Harness, running


@pytest_asyncio.fixture(loop_scope="session")
async def harness(
    database_factory: DatabaseFactory, broker_scope: BrokerScope, fakes: Fakes
) -> AsyncIterator[Harness]:
    async with running(database_factory, broker_scope, fakes) as running_harness:
        yield running_harness
