"""An event written in one service's transaction reaches a consumer in another service
exactly once in effect, whatever the relay, the broker or the consumer process do."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from cypher_runtime.metrics import EVENTS_CONSUMED, OUTBOX_FAILURES
from cypher_testkit.broker import queue_depth
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import TcpProxy

from .conftest import Spine
from .spine import CONFIRMED, POISON_ORDER, effect_counts, place_order, unpublished


def consumed(queue: str, outcome: str) -> float:
    return float(EVENTS_CONSUMED.labels("consumer", queue, CONFIRMED, outcome)._value.get())


async def test_events_apply_once_even_when_the_relay_publishes_them_twice(spine: Spine) -> None:
    consumer = spine.consumer()
    await consumer.start()
    spine.relay().start()
    for i in range(20):
        await place_order(spine.producer, f"{100 + i}.50")

    await eventually(lambda: effect_counts(spine.consumer_db), lambda c: c.effects == 20)

    # Simulate a relay that crashed after publishing but before marking rows sent.
    async with spine.producer.engine.begin() as conn:
        await conn.execute(text("UPDATE outbox SET published_at = NULL"))
    spine.relays[0].wake()
    await eventually(
        lambda: asyncio.sleep(0, consumed(consumer.queue_name, "duplicate")),
        lambda n: n >= 20,
        what="20 redelivered duplicates seen by the inbox",
    )
    counts = await effect_counts(spine.consumer_db)
    assert counts.effects == 20
    assert counts.distinct == 20


CRASHING_CONSUMER = Path(__file__).with_name("crashing_consumer.py")


def spine_env(spine: Spine, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SPINE_DB_URL": spine.consumer_url,
        "SPINE_AMQP_URL": spine.scope.amqp_url,
        "SPINE_EXCHANGE": spine.scope.exchange,
        "SPINE_QUEUE_PREFIX": spine.scope.queue_prefix,
        **extra,
    }


async def run_crashing_consumer(env: dict[str, str]) -> int:
    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(CRASHING_CONSUMER)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == 137, crashed.stderr.decode()[-2000:]
    return crashed.returncode


async def test_consumer_dying_after_commit_before_ack_does_not_apply_twice(spine: Spine) -> None:
    # Declare the queue first so the event is routed to it.
    probe = spine.consumer()
    await probe.start()
    await probe.stop()
    order_id = await place_order(spine.producer, "250.00")
    spine.relay().start()
    await eventually(lambda: unpublished(spine.producer), lambda n: n == 0)

    await run_crashing_consumer(spine_env(spine))
    assert (await effect_counts(spine.consumer_db)).effects == 1  # committed before dying

    # The broker redelivers the unacked message to the next consumer process.
    survivor = spine.consumer()
    await survivor.start()
    await eventually(
        lambda: queue_depth(spine.scope.amqp_url, survivor.queue_name), lambda n: n == 0
    )
    await eventually(
        lambda: asyncio.sleep(0, consumed(survivor.queue_name, "duplicate")), lambda n: n >= 1
    )
    counts = await effect_counts(spine.consumer_db)
    assert (counts.effects, counts.distinct) == (1, 1)
    async with spine.consumer_db.engine.connect() as conn:
        inbox_ids = (await conn.execute(text("SELECT count(*) FROM inbox"))).scalar_one()
    assert inbox_ids == 1
    assert order_id


async def test_events_written_during_a_broker_outage_are_all_delivered_after(
    spine: Spine,
) -> None:
    consumer = spine.consumer()
    await consumer.start()
    host, port = "127.0.0.1", 5672
    proxy = TcpProxy(host, port)
    await proxy.start()
    amqp_via_proxy = spine.scope.amqp_url.replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}")
    relay = spine.relay(amqp_via_proxy)
    relay.start()
    for _ in range(5):
        await place_order(spine.producer, "10.00")
    await eventually(lambda: effect_counts(spine.consumer_db), lambda c: c.effects == 5)

    await proxy.stop()  # live connection dropped, new ones refused
    failures_before = OUTBOX_FAILURES.labels("producer")._value.get()
    for _ in range(30):
        await place_order(spine.producer, "20.00")
    await eventually(
        lambda: asyncio.sleep(0, OUTBOX_FAILURES.labels("producer")._value.get()),
        lambda n: n > failures_before,
        what="the relay noticing the outage",
    )
    assert await unpublished(spine.producer) == 30
    assert (await effect_counts(spine.consumer_db)).effects == 5

    await proxy.start()  # the broker is back on the same address
    await eventually(
        lambda: effect_counts(spine.consumer_db), lambda c: c.effects == 35, timeout=30
    )
    counts = await effect_counts(spine.consumer_db)
    assert counts.distinct == 35
    assert await unpublished(spine.producer) == 0
    await proxy.stop()


async def test_poison_message_is_parked_and_does_not_block_the_queue(spine: Spine) -> None:
    consumer = spine.consumer(max_retries=2)
    await consumer.start()
    spine.relay().start()
    await place_order(spine.producer, "1.00", order_id=POISON_ORDER)
    for _ in range(10):
        await place_order(spine.producer, "5.00")

    await eventually(lambda: effect_counts(spine.consumer_db), lambda c: c.effects == 10)
    await eventually(
        lambda: queue_depth(spine.scope.amqp_url, consumer.parking_queue_name),
        lambda n: n == 1,
        what="the poison message parked",
    )
    # max_retries=2: two delayed retries, then parked; never a third.
    assert consumed(consumer.queue_name, "retried") == 2
    assert consumed(consumer.queue_name, "parked") == 1
    assert (await effect_counts(spine.consumer_db)).effects == 10


async def test_undecodable_message_is_parked_at_once(spine: Spine) -> None:
    import aio_pika

    consumer = spine.consumer()
    await consumer.start()
    connection = await aio_pika.connect(spine.scope.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(spine.scope.exchange)
        await exchange.publish(
            aio_pika.Message(
                b"\xff\xfe not protobuf",
                message_id="garbage-1",
                headers={"cloudEvents:type": CONFIRMED, "cloudEvents:id": "garbage-1"},
            ),
            routing_key=CONFIRMED,
        )
    await eventually(
        lambda: queue_depth(spine.scope.amqp_url, consumer.parking_queue_name), lambda n: n == 1
    )
    assert (await effect_counts(spine.consumer_db)).effects == 0


async def test_stale_event_does_not_overwrite_newer_state(spine: Spine) -> None:
    consumer = spine.consumer(versioned=True)
    await consumer.start()
    spine.relay().start()

    async def state() -> tuple[str, int] | None:
        async with spine.consumer_db.engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT total::text, version FROM order_state WHERE order_id = 'o-1'")
                )
            ).first()
        return (row[0], int(row[1])) if row else None

    await place_order(spine.producer, "200.00", order_id="o-1", version=2)
    await eventually(state, lambda s: s == ("200.00", 2))
    # v1 arrives after v2 was applied (a late redelivery, another replica's relay…).
    await place_order(spine.producer, "100.00", order_id="o-1", version=1)
    await eventually(
        lambda: asyncio.sleep(0, consumed(consumer.queue_name, "stale")), lambda n: n >= 1
    )
    assert await state() == ("200.00", 2)
    assert (await effect_counts(spine.consumer_db)).effects == 1

    await place_order(spine.producer, "300.00", order_id="o-1", version=3)
    await eventually(state, lambda s: s == ("300.00", 3))


async def test_a_message_that_kills_every_consumer_is_parked_after_the_delivery_limit(
    spine: Spine,
) -> None:
    """No retry counter can be written by a consumer that dies before its commit: the
    quorum queue's x-delivery-limit is what stops the crash loop."""
    limit = 2
    probe = spine.consumer(delivery_limit=limit)  # declares the queue with the limit
    await probe.start()
    await probe.stop()
    await place_order(spine.producer, "66.00")
    spine.relay().start()
    await eventually(lambda: unpublished(spine.producer), lambda n: n == 0)
    env = spine_env(spine, SPINE_CRASH_BEFORE_COMMIT="1", SPINE_DELIVERY_LIMIT=str(limit))

    for _ in range(limit + 1):  # the first delivery and `limit` redeliveries each kill one
        await run_crashing_consumer(env)

    await eventually(
        lambda: queue_depth(spine.scope.amqp_url, probe.parking_queue_name),
        lambda n: n == 1,
        what="the crash-looping message parked",
    )
    assert await queue_depth(spine.scope.amqp_url, probe.queue_name) == 0
    assert (await effect_counts(spine.consumer_db)).effects == 0


async def test_a_consumer_reconnects_after_the_broker_comes_back(spine: Spine) -> None:
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    via_proxy = spine.scope.amqp_url.replace("127.0.0.1:5672", f"127.0.0.1:{proxy.port}")
    consumer = spine.consumer(amqp_url=via_proxy)
    await consumer.start()
    spine.relay().start()  # publishes straight to the broker, not through the proxy
    await place_order(spine.producer, "1.00")
    await eventually(lambda: effect_counts(spine.consumer_db), lambda c: c.effects == 1)

    await proxy.stop()  # the consumer's connection drops; new connections are refused
    for _ in range(5):
        await place_order(spine.producer, "2.00")
    await eventually(
        lambda: queue_depth(spine.scope.amqp_url, consumer.queue_name),
        lambda n: n == 5,
        what="events queued while the consumer is cut off",
    )
    assert (await effect_counts(spine.consumer_db)).effects == 1

    await proxy.start()  # the broker is reachable again on the same address
    await eventually(lambda: effect_counts(spine.consumer_db), lambda c: c.effects == 6, timeout=30)
    await proxy.stop()
