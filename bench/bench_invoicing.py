"""Benchmark: SmartBill invoicing — invoices created per second against the fake SmartBill
at its rate limit (30 calls / 10 s; the service keeps itself at 27), and the time from
`order.delivered` to `invoice.created`, p50 / p99.

The integration service and pricing (VAT rates) run in-process on fresh PostgreSQL
databases and a private exchange of the real RabbitMQ, with their production settings
(throttle, breaker, timeouts); SmartBill is the `cypher-fakes` process over real HTTP.
`order.delivered` events are published as the orders service's outbox relay publishes
them; a tap queue sees each `invoice.created`. Two runs:

* burst: N deliveries published at once — invoices/s from the first publish to the last
  invoice.created, and each invoice's delivered → created time (queueing included);
* one at a time: the next delivery is published when the previous invoice is created —
  the latency of one invoice when nothing waits before it.

Run: `uv run python bench/bench_invoicing.py [--burst 60] [--single 15]`
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import aio_pika
import httpx

from cypher.common.v1 import address_pb2, money_pb2
from cypher.integration.v1 import events_pb2 as integration_events
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.messaging.consumer import decode
from cypher_runtime.messaging.envelope import event_type_of
from cypher_testkit.broker import delete_scope, new_scope
from cypher_testkit.databases import drop_database, migrated_database
from cypher_testkit.events import publish_event
from cypher_testkit.fakes import FakesProcess
from cypher_testkit.infra import amqp_url
from cypher_testkit.polling import eventually
from cypher_testkit.proxy import free_port
from integration.main import MIGRATIONS, assemble
from integration.settings import IntegrationSettings
from pricing.main import MIGRATIONS as PRICING_MIGRATIONS
from pricing.main import assemble as assemble_pricing
from pricing.settings import PricingSettings

sys.path.insert(0, str(Path(__file__).parent))
from machine import describe, percentile

INVOICE_CREATED = event_type_of(integration_events.InvoiceCreated)


def money(amount: str) -> money_pb2.Money:
    return money_pb2.Money(amount=amount, currency="RON")


def delivered_event(order_id: str, n: int) -> orders_events.OrderDelivered:
    lines = []
    for i, (qty, unit_net, list_price) in enumerate(((10, "12.35", "13.00"), (2, "99.90", ""))):
        sku = f"LED-{i}"
        lines.append(
            orders_pb2.OrderLine(
                sku=sku,
                quantity=qty,
                shipped_quantity=qty,
                delivered_quantity=qty,
                price=pricing_pb2.PricedLine(
                    sku=sku,
                    quantity=qty,
                    name=f"Panou LED {sku}",
                    unit="buc",
                    unit_net=money(unit_net),
                    list_price=money(list_price) if list_price else None,
                    line_net=money(f"{Decimal(unit_net) * qty:.2f}"),
                    vat_rate="19",
                    vat_category=pricing_pb2.VAT_CATEGORY_STANDARD,
                    currency="RON",
                    pricing_date="2025-07-01",
                ),
            )
        )
    customer = orders_pb2.Customer(
        id=str(uuid.uuid4()),
        name="Ion Popescu",
        email="facturi@lumina.ro",
        company="Lumina Design SRL",
        vat_code="RO14399840",
        address=address_pb2.Address(
            line1="Str. Memorandumului 28", city="Cluj-Napoca", county="Cluj", country="RO"
        ),
    )
    order = orders_pb2.Order(
        id=order_id,
        number=f"CMD-2025-{n:06d}",
        customer_id=customer.id,
        status=orders_pb2.ORDER_STATUS_DELIVERED,
        lines=lines,
        currency="RON",
    )
    return orders_events.OrderDelivered(
        order_id=order_id,
        shipment_id=str(uuid.uuid4()),
        fully_delivered=True,
        delivery_date="2025-07-30",
        order=order,
        customer=customer,
        version=7,
    )


async def main(burst: int, single: int) -> None:
    scope = new_scope(amqp_url())
    fakes_process = FakesProcess(Path(tempfile.gettempdir()) / "cypher-bench-fakes.log")
    fakes_process.start()
    fakes = await fakes_process.wait_ready()
    pricing_url = await migrated_database("pricing", PRICING_MIGRATIONS)
    integration_url = await migrated_database("integration", MIGRATIONS)
    common: dict[str, Any] = {
        "amqp_url": scope.amqp_url,
        "events_exchange": scope.exchange,
        "queue_prefix": scope.queue_prefix,
        "bind_host": "127.0.0.1",
        "outbox_poll_seconds": 0.05,
    }
    pricing_port = free_port()
    pricing = assemble_pricing(
        PricingSettings(
            database_url=pricing_url, grpc_port=pricing_port, http_port=free_port(), **common
        ),
        queue_prefix=scope.queue_prefix,
    )
    settings = IntegrationSettings(
        database_url=integration_url,
        grpc_port=free_port(),
        http_port=free_port(),
        pricing_addr=f"127.0.0.1:{pricing_port}",
        orders_addr=f"127.0.0.1:{free_port()}",  # unused: the events carry the order
        smartbill_base_url=fakes.smartbill_api_url + "/",
        smartbill_email=fakes.smartbill_email,
        smartbill_token=fakes.smartbill_token,
        smartbill_cif=fakes.smartbill_cif,
        **common,
    )
    app = assemble(settings, queue_prefix=scope.queue_prefix)
    created: dict[str, float] = {}
    connection = await aio_pika.connect_robust(scope.amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            scope.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        tap = await channel.declare_queue(f"{scope.queue_prefix}bench-tap", exclusive=True)
        await tap.bind(exchange, routing_key="integration.#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            event = decode(message)
            if event.type == INVOICE_CREATED:
                created.setdefault(event.message.order_id, time.perf_counter())  # type: ignore[attr-defined]
            await message.ack()

        await tap.consume(on_message)
        for runtime in (pricing.runtime, app.runtime):
            await runtime.start()

        async def consuming() -> bool:
            return all(getattr(c, "_tag", None) for c in app.runtime.consumers)

        await eventually(consuming, bool, timeout=30, what="integration consumer started")

        published: dict[str, float] = {}
        sequence = iter(range(1, 1_000_000))

        async def deliver() -> str:
            order_id = str(uuid.uuid4())
            event = delivered_event(order_id, next(sequence))
            published[order_id] = time.perf_counter()
            await publish_event(exchange, event, subject=order_id)
            return order_id

        async def until_created(ids: list[str], timeout: float) -> None:
            deadline = time.monotonic() + timeout
            while not all(i in created for i in ids):
                if time.monotonic() > deadline:
                    missing = sum(i not in created for i in ids)
                    raise TimeoutError(f"{missing} of {len(ids)} invoices not created")
                await asyncio.sleep(0.02)

        # -- warm-up: one invoice (connections, VAT rates, series) --------------------------
        await until_created([await deliver()], 60)

        # -- one at a time ----------------------------------------------------------------
        single_ms: list[float] = []
        for _ in range(single):
            oid = await deliver()
            await until_created([oid], 60)
            single_ms.append((created[oid] - published[oid]) * 1000)

        # -- burst --------------------------------------------------------------------------
        start = time.perf_counter()
        ids = await asyncio.gather(*(deliver() for _ in range(burst)))
        await until_created(list(ids), 60 + burst)
        last = max(created[i] for i in ids)
        burst_ms = [(created[i] - published[i]) * 1000 for i in ids]
        rate = burst / (last - start)

        async with httpx.AsyncClient(base_url=fakes.smartbill_url) as control:
            calls = (await control.get("/_fake/requests")).json()
            documents = (await control.get("/_fake/documents", params={"series": "FL"})).json()
        blocked = sum(1 for c in calls if c["status"] == 403)
        numbers = sorted(int(d["number"]) for d in documents)
        gap_free = numbers == list(range(numbers[0], numbers[0] + len(numbers)))

        print(f"machine: {describe()}")
        print(
            f"settings: {settings.smartbill_calls_per_window} calls / "
            f"{settings.smartbill_window_seconds:g} s (fake: 30), burst "
            f"{settings.smartbill_burst}, timeout {settings.smartbill_timeout_seconds:g} s"
        )
        print(
            f"burst of {burst}: {rate:.2f} invoices/s "
            f"({burst} in {last - start:.1f} s); delivered→created p50 "
            f"{percentile(burst_ms, 50):.0f} ms, p99 {percentile(burst_ms, 99):.0f} ms"
        )
        print(
            f"one at a time ({single}): delivered→created p50 "
            f"{percentile(single_ms, 50):.0f} ms, p99 {percentile(single_ms, 99):.0f} ms"
        )
        print(
            f"SmartBill: {len(calls)} calls, {blocked} answered 403 (block), "
            f"{len(documents)} FL invoices, numbers gap-free: {gap_free}"
        )
    finally:
        for runtime in (app.runtime, pricing.runtime):
            await runtime.stop()
        await connection.close()
        await delete_scope(
            scope, [c.queue_name for r in (pricing.runtime, app.runtime) for c in r.consumers]
        )
        fakes_process.stop()
        await drop_database(pricing_url)
        await drop_database(integration_url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument("--single", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(main(args.burst, args.single))
