"""Outbox → RabbitMQ → inbox, end to end between two service processes.

The producer process commits one event per transaction in its own database (several
concurrent writers); its relay publishes with publisher confirms. A separate consumer
process applies each event through its inbox in its own database. Measured: events/s
from the first commit to the last applied event, and commit-to-consume latency (wall
clock just before the producer's commit → the consumer's transaction committed).
Reference in the same run: a bare aio-pika publish-with-confirms loop.

Run: `uv run python bench/bench_outbox.py [events] [writers]`
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import aio_pika
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text

from cypher.orders.v1 import events_pb2
from cypher_runtime.db import Database, UnitOfWork
from cypher_runtime.messaging.broker import Broker
from cypher_runtime.messaging.consumer import InboxConsumer, Subscription
from cypher_runtime.messaging.envelope import Event, ReceivedEvent
from cypher_runtime.messaging.outbox_store import messaging_metadata
from cypher_runtime.messaging.relay import OutboxRelay
from cypher_testkit.broker import delete_scope, new_scope
from cypher_testkit.databases import create_database, drop_database
from cypher_testkit.infra import amqp_url

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, percentile

CONFIRMED = "orders.order.confirmed.v1"


def _consumer(db: Database, broker: Broker, prefix: str, after: object = None) -> InboxConsumer:
    async def apply(uow: UnitOfWork, event: ReceivedEvent) -> None:
        assert isinstance(event.message, events_pb2.OrderConfirmed)
        await uow.session.execute(
            text("INSERT INTO applied (order_id) VALUES (:o)"), {"o": event.message.order_id}
        )

    return InboxConsumer(
        service="bench",
        purpose="orders",
        db=db,
        broker=broker,
        subscriptions=[Subscription(CONFIRMED, apply)],
        prefetch=64,
        queue_prefix=prefix,
        after_commit=after,  # type: ignore[arg-type]
    )


async def consumer_process(expected: int) -> None:
    """Role of the second service: apply events, then print latencies as JSON."""
    db = Database(os.environ["BENCH_CONSUMER_DB"])
    broker = Broker(os.environ["BENCH_AMQP"], os.environ["BENCH_EXCHANGE"], service="consumer")
    latencies: list[float] = []
    last = 0.0
    done = asyncio.Event()

    async def after_commit(event: ReceivedEvent) -> None:
        nonlocal last
        assert isinstance(event.message, events_pb2.OrderConfirmed)
        last = time.time()
        latencies.append((last - event.message.confirmed_at.ToNanoseconds() / 1e9) * 1000)
        if len(latencies) >= expected:
            done.set()

    consumer = _consumer(db, broker, os.environ["BENCH_PREFIX"], after_commit)
    await consumer.start()
    print("ready", flush=True)
    await asyncio.wait_for(done.wait(), 600)
    print(json.dumps({"last": last, "latencies_ms": latencies}), flush=True)
    await consumer.stop()
    await broker.close()
    await db.dispose()


async def bare_publish_loop(url: str, count: int) -> float:
    """Messages/s of a plain loop publishing persistent messages with confirms."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(f"bench-bare-{uuid.uuid4().hex[:8]}", auto_delete=True)
        body = events_pb2.OrderConfirmed(order_id="x" * 32).SerializeToString()
        started = time.perf_counter()
        for _ in range(count):
            await channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue.name,
            )
        elapsed = time.perf_counter() - started
        await queue.delete(if_unused=False, if_empty=False)
    return count / elapsed


async def main(events: int, writers: int, rate_limit: float | None = None) -> float:
    broker_url = amqp_url()
    scope = new_scope(broker_url)
    producer_url = await create_database("bench_producer")
    consumer_url = await create_database("bench_consumer")
    producer, consumer_db = Database(producer_url), Database(consumer_url)
    for db in (producer, consumer_db):
        async with db.engine.begin() as conn:
            await conn.run_sync(messaging_metadata.create_all)
    async with consumer_db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (order_id text PRIMARY KEY)"))
    await consumer_db.dispose()

    per_writer = events // writers
    events = per_writer * writers
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--consumer",
        str(events),
        env={
            **os.environ,
            "BENCH_CONSUMER_DB": consumer_url,
            "BENCH_AMQP": broker_url,
            "BENCH_EXCHANGE": scope.exchange,
            "BENCH_PREFIX": scope.queue_prefix,
            "CYPHER_LOG_LEVEL": "WARNING",
        },
        stdout=asyncio.subprocess.PIPE,
        limit=64 * 1024 * 1024,  # the result is one JSON line with every latency
    )
    assert child.stdout is not None
    assert (await child.stdout.readline()).strip() == b"ready"

    broker = Broker(broker_url, scope.exchange, service="producer")
    relay = OutboxRelay(producer, broker, service="producer", batch_size=200)
    relay.start()

    interval = writers / rate_limit if rate_limit else 0.0

    async def writer(n: int) -> None:
        for _ in range(n):
            if interval:
                await asyncio.sleep(interval)
            order_id = uuid.uuid4().hex
            async with producer.unit_of_work() as uow:
                stamp = Timestamp()
                stamp.FromNanoseconds(time.time_ns())
                uow.publish(
                    Event(
                        events_pb2.OrderConfirmed(order_id=order_id, confirmed_at=stamp),
                        aggregate_type="order",
                        aggregate_id=order_id,
                    )
                )
                await uow.commit()

    started = time.time()
    await asyncio.gather(*(writer(per_writer) for _ in range(writers)))
    writes_done = time.time() - started
    result = json.loads(await child.stdout.readline())
    await asyncio.wait_for(child.wait(), 30)
    elapsed = float(result["last"]) - started
    latencies: list[float] = result["latencies_ms"]

    async with producer.engine.connect() as conn:
        publish_ms = [
            float(r[0])
            for r in await conn.execute(
                text("SELECT extract(epoch FROM published_at - created_at) * 1000 FROM outbox")
            )
        ]
    await relay.stop()
    await broker.close()
    await producer.dispose()
    consumer_queues = _consumer(Database(consumer_url), broker, scope.queue_prefix).queue_names
    await delete_scope(scope, consumer_queues)
    await drop_database(producer_url)
    await drop_database(consumer_url)

    rate = events / elapsed
    mode = f"paced at {rate_limit:.0f} events/s" if rate_limit else "saturated"
    print(f"outbox -> RabbitMQ -> inbox, two processes, {mode}: {events} events, {writers} writers")
    print(f"  all commits done {writes_done:6.2f} s, all applied {elapsed:6.2f} s after start")
    print(f"  throughput            {rate:8.0f} events/s (first commit to last applied)")
    print(f"  commit-to-publish p50 {percentile(publish_ms, 50):8.1f} ms (relay only)")
    print(f"  commit-to-consume p50 {percentile(latencies, 50):8.1f} ms")
    print(f"  commit-to-consume p99 {percentile(latencies, 99):8.1f} ms")
    return rate


async def run_all(events: int, writers: int) -> None:
    print(f"machine: {describe()}")
    saturated = await main(events, writers)
    await main(1000, 4, rate_limit=100)
    bare_rate = await bare_publish_loop(amqp_url(), events)
    print(f"bare aio-pika publish-with-confirms loop: {bare_rate:8.0f} messages/s")
    print(f"ratio outbox end-to-end (saturated) / bare publish: {saturated / bare_rate:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--consumer":
        asyncio.run(consumer_process(int(sys.argv[2])))
    else:
        count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
        concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 8
        asyncio.run(run_all(count, concurrency))
