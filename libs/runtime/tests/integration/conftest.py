"""Fixtures for the spine tests: a producer and a consumer database on the real
PostgreSQL, wired to a private exchange on the real RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest_asyncio

from cypher_runtime.db import Database
from cypher_runtime.messaging.broker import Broker
from cypher_runtime.messaging.consumer import InboxConsumer, Subscription
from cypher_runtime.messaging.relay import OutboxRelay
from cypher_testkit.broker import BrokerScope, delete_scope

from .spine import CONFIRMED, apply_confirmed, create_consumer_schema, create_producer_schema


@dataclass
class Spine:
    scope: BrokerScope
    producer: Database
    consumer_db: Database
    consumer_url: str
    brokers: list[Broker]
    relays: list[OutboxRelay]
    consumers: list[InboxConsumer]

    def relay(self, amqp_url: str | None = None) -> OutboxRelay:
        broker = Broker(amqp_url or self.scope.amqp_url, self.scope.exchange, service="producer")
        self.brokers.append(broker)
        relay = OutboxRelay(self.producer, broker, service="producer", poll_seconds=0.5)
        self.relays.append(relay)
        return relay

    def consumer(
        self,
        *,
        versioned: bool = False,
        max_retries: int = 3,
        delivery_limit: int = 20,
        amqp_url: str | None = None,
    ) -> InboxConsumer:
        broker = Broker(amqp_url or self.scope.amqp_url, self.scope.exchange, service="consumer")
        self.brokers.append(broker)
        consumer = InboxConsumer(
            service="consumer",
            purpose="orders",
            db=self.consumer_db,
            broker=broker,
            subscriptions=[Subscription(CONFIRMED, apply_confirmed, versioned=versioned)],
            max_retries=max_retries,
            retry_delay_ms=100,
            delivery_limit=delivery_limit,
            queue_prefix=self.scope.queue_prefix,
        )
        self.consumers.append(consumer)
        return consumer


@pytest_asyncio.fixture(loop_scope="session")
async def spine(
    database_factory: Callable[[str, Path | None], Awaitable[str]], broker_scope: BrokerScope
) -> AsyncIterator[Spine]:
    producer_url = await database_factory("spine_producer", None)
    consumer_url = await database_factory("spine_consumer", None)
    producer, consumer_db = Database(producer_url), Database(consumer_url)
    await create_producer_schema(producer)
    await create_consumer_schema(consumer_db)
    state = Spine(broker_scope, producer, consumer_db, consumer_url, [], [], [])
    yield state
    for consumer in state.consumers:
        await consumer.stop()
    for relay in state.relays:
        await relay.stop()
    for broker in state.brokers:
        await broker.close()
    await producer.dispose()
    await consumer_db.dispose()
    await delete_scope(broker_scope, sorted({q for c in state.consumers for q in c.queue_names}))
