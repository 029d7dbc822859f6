"""Benchmark: webhook deliveries per second and the time from an order event to its
delivery at the partner's endpoint, p50 / p99.

The integration service runs in-process on a fresh PostgreSQL database and a private
exchange of the real RabbitMQ with its production webhook settings (batch 50,
concurrency 10, timeouts), except that 127.0.0.1 is allow-listed: the receiver is an
HTTP server in this process (keep-alive, answers 200 at once). One staff endpoint is
subscribed to `order.shipped`; `orders.order.status_changed` events are published as
the orders service's outbox relay publishes them. Two runs:

* burst: N events published at once — deliveries/s from the first publish to the last
  delivery received, and each event's publish → received time (queueing included);
* one at a time: the next event is published when the previous delivery arrived — the
  latency of one delivery when nothing waits before it.

Run: `uv run python bench/bench_webhooks.py [--burst 500] [--single 30]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import aio_pika

from cypher.integration.v1 import integration_pb2 as pb
from cypher.integration.v1 import integration_pb2_grpc
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher_runtime.grpc_client import make_channel
from cypher_runtime.messaging.broker import declare_exchanges
from cypher_testkit.broker import delete_scope, new_scope
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.events import publish_event
from cypher_testkit.infra import amqp_url
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from integration.main import MIGRATIONS, assemble
from integration.settings import IntegrationSettings

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, percentile


class Receiver:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # order id → monotonic arrival
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                length = next(
                    int(line.split(":", 1)[1])
                    for line in head
                    if line.lower().startswith("content-length:")
                )
                body = await reader.readexactly(length)
                self.arrived.setdefault(json.loads(body)["data"]["order_id"], time.monotonic())
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def shipped(order_id: str) -> orders_events.OrderStatusChanged:
    return orders_events.OrderStatusChanged(
        order_id=order_id,
        number="CMD-BENCH",
        customer_id=str(uuid.uuid4()),
        from_status=orders_pb2.ORDER_STATUS_READY_TO_SHIP,
        to_status=orders_pb2.ORDER_STATUS_SHIPPED,
        version=5,
    )


async def main(burst: int, single: int) -> None:
    scope = new_scope(amqp_url())
    url = await migrated_database("integration", MIGRATIONS)
    receiver = Receiver()
    await receiver.start()
    settings = IntegrationSettings(
        database_url=url,
        grpc_port=free_port(),
        http_port=free_port(),
        orders_addr=f"127.0.0.1:{free_port()}",
        pricing_addr=f"127.0.0.1:{free_port()}",
        bind_host="127.0.0.1",
        amqp_url=scope.amqp_url,
        events_exchange=scope.exchange,
        queue_prefix=scope.queue_prefix,
        webhook_allow_hosts="127.0.0.1",
    )
    app = assemble(settings, queue_prefix=scope.queue_prefix)
    await app.runtime.start()
    connection = await aio_pika.connect_robust(scope.amqp_url)
    channel = await connection.channel()
    exchange = await declare_exchanges(channel, scope.exchange)
    assert app.runtime.grpc is not None
    grpc_channel = make_channel(f"127.0.0.1:{app.runtime.grpc.port}")
    try:
        stub = integration_pb2_grpc.IntegrationServiceStub(grpc_channel)
        await stub.CreateWebhookEndpoint(
            pb.CreateWebhookEndpointRequest(
                url=f"http://127.0.0.1:{receiver.port}/hooks", event_types=["order.shipped"]
            )
        )
        await eventually(
            lambda: asyncio.sleep(0, [getattr(c, "_tag", None) for c in app.runtime.consumers]),
            lambda tags: all(t is not None for t in tags),
            timeout=30,
            what="consumers started",
        )

        # -- burst ---------------------------------------------------------------------
        published: dict[str, float] = {}
        start = time.monotonic()

        async def publish_one() -> None:
            order_id = str(uuid.uuid4())
            published[order_id] = time.monotonic()
            await publish_event(exchange, shipped(order_id), subject=order_id)

        # Published concurrently (publisher confirms overlap), so the publisher is not
        # what limits the rate measured.
        await asyncio.gather(*(publish_one() for _ in range(burst)))
        published_in = time.monotonic() - start
        await eventually(
            lambda: asyncio.sleep(0, len(receiver.arrived)),
            lambda n: n >= burst,
            timeout=600,
            interval=0.05,
            what="burst delivered",
        )
        last = max(receiver.arrived[o] for o in published)
        burst_latency = [(receiver.arrived[o] - published[o]) * 1000 for o in published]

        # -- one at a time -------------------------------------------------------------
        single_latency: list[float] = []
        for _ in range(single):
            order_id = str(uuid.uuid4())
            sent = time.monotonic()
            await publish_event(exchange, shipped(order_id), subject=order_id)
            await eventually(
                lambda oid=order_id: asyncio.sleep(0, oid in receiver.arrived),  # type: ignore[misc]
                timeout=60,
                interval=0.005,
                what="single delivered",
            )
            single_latency.append((receiver.arrived[order_id] - sent) * 1000)

        print(f"machine: {describe()}")
        print(
            f"burst: {burst} order.shipped events → {burst} deliveries in "
            f"{last - start:.2f} s = {burst / (last - start):.1f} deliveries/s "
            f"(publishing took {published_in:.2f} s)"
        )
        print(
            f"burst event → delivery: p50 {percentile(burst_latency, 50):.0f} ms, "
            f"p99 {percentile(burst_latency, 99):.0f} ms"
        )
        print(
            f"one at a time ({single}): p50 {percentile(single_latency, 50):.0f} ms, "
            f"p99 {percentile(single_latency, 99):.0f} ms"
        )
    finally:
        await grpc_channel.close()
        await connection.close()
        await app.runtime.stop()
        await delete_scope(scope, [c.queue_name for c in app.runtime.consumers])
        await drop_database(url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--single", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.burst, args.single))
