"""The catalogue as the tests' stacks see it. Inventory books stock only for a sku that
pricing announced with `pricing.product.upserted`, and learns it asynchronously:

* `announce_products` publishes that event the way pricing's outbox relay does, for a
  stack where pricing does not publish on the test's exchange or a test stocks a sku it
  never created in pricing;
* `when_known` / `post_when_known` repeat a call while inventory answers
  PRODUCT_UNKNOWN_YET (the event is on its way), as a well-behaved client does."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
import grpc
import httpx
from aiormq.abc import DeliveredMessage

from cypher.pricing.v1 import events_pb2, pricing_pb2
from cypher_runtime.grpc_errors import error_from_rpc
from cypher_runtime.messaging.broker import declare_exchanges
from cypher_runtime.messaging.envelope import amqp_message, event_type_of
from cypher_testkit.broker import BrokerScope

# pricing's aggregate type of product events: a versioned consumer keys on it, so an
# announced product and the real events of the same sku stay one aggregate.
PRODUCT_AGGREGATE = "product"
PRODUCT_UPSERTED = event_type_of(events_pb2.ProductUpserted)

T = TypeVar("T")


def _announcement(sku: str, version: int) -> aio_pika.Message:
    product = pricing_pb2.Product(sku=sku, name=sku, version=version, active=True)
    body = events_pb2.ProductUpserted(product=product, created=True, version=version)
    return amqp_message(
        body=body.SerializeToString(),
        event_id=str(uuid.uuid4()),
        event_type=PRODUCT_UPSERTED,
        source="/cypher/pricing",
        time=datetime.now(UTC),
        subject=sku,
        aggregate_type=PRODUCT_AGGREGATE,
        version=version,
    )


async def announce_products(
    scope: BrokerScope, skus: Iterable[str], *, version: int = 1, timeout: float = 15.0
) -> None:
    """Publish one `ProductUpserted` per sku on the scope's exchange, as pricing's relay
    does. Mandatory: a service started a moment ago may not have bound its queue yet, and
    an unroutable announcement would be lost, so it is sent again until it is routed."""
    connection = await aio_pika.connect(scope.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await declare_exchanges(channel, scope.exchange)

        async def routed(sku: str) -> bool:
            message = _announcement(sku, version)
            # A returned (unroutable) message comes back as a DeliveredMessage.
            result = await exchange.publish(message, PRODUCT_UPSERTED, mandatory=True)
            return not isinstance(result, DeliveredMessage)

        pending = list(dict.fromkeys(skus))
        deadline = time.monotonic() + timeout
        while pending:
            # Concurrently: each confirm waits for the broker's quorum queue write.
            outcomes = await asyncio.gather(*(routed(sku) for sku in pending))
            pending = [sku for sku, ok in zip(pending, outcomes, strict=True) if not ok]
            if pending and time.monotonic() > deadline:
                raise AssertionError(f"nobody consumes {PRODUCT_UPSERTED} on {scope.exchange}")
            if pending:
                await asyncio.sleep(0.05)
    finally:
        await connection.close()


# Inventory's answer for a sku whose product event has not reached it (yet).
UNKNOWN_YET = "PRODUCT_UNKNOWN_YET"


Announce = Callable[[], Awaitable[None]] | None
ANNOUNCE_EVERY = 1.0


async def when_known(
    call: Callable[[], Awaitable[T]], *, announce: Announce = None, timeout: float = 15.0
) -> T:
    """Run a gRPC call naming a product (`lambda: stub.Receive(...)`), again while
    inventory answers PRODUCT_UNKNOWN_YET: the product's event is still on its way.
    `announce` (e.g. `announce_products` of the sku) is repeated every second meanwhile:
    an announcement routed to another service's queue before inventory bound its own
    reached only that one (repeats are harmless: the consumer is versioned)."""
    deadline = time.monotonic() + timeout
    announced = time.monotonic()
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as err:
            if error_from_rpc(err).code != UNKNOWN_YET or time.monotonic() > deadline:
                raise
        announced = await _again(announce, announced)
        await asyncio.sleep(0.05)


async def post_when_known(
    client: httpx.AsyncClient,
    url: str,
    *,
    announce: Announce = None,
    timeout: float = 15.0,
    **kwargs: Any,
) -> httpx.Response:
    """POST naming a product through the gateway, again while the answer is
    409 PRODUCT_UNKNOWN_YET (with `announce` as in `when_known`); returns the first
    other answer."""
    deadline = time.monotonic() + timeout
    announced = time.monotonic()
    while True:
        reply = await client.post(url, **kwargs)
        if reply.status_code != 409 or time.monotonic() > deadline:
            return reply
        error = reply.json().get("error") or {}
        if error.get("code") != UNKNOWN_YET:
            return reply
        announced = await _again(announce, announced)
        await asyncio.sleep(0.05)


async def _again(announce: Announce, last: float) -> float:
    if announce is None or time.monotonic() - last < ANNOUNCE_EVERY:
        return last
    await announce()
    return time.monotonic()
