"""Fixtures of the quotations integration tests: one running stack per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from cypher_testkit.broker import BrokerScope

from .harness import DatabaseFactory, Stack, running_stack


@pytest_asyncio.fixture(loop_scope="session")
async def stack(
    database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> AsyncIterator[Stack]:
    async with running_stack(database_factory, broker_scope) as running:
        yield running
