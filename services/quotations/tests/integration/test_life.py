"""Reminders and expiry by the sweep, with two replicas on one database, and the
quote-request path that orders starts and follows."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from cypher.orders.v1 import orders_pb2 as ob
from cypher.quotations.v1 import events_pb2 as qe
from cypher.quotations.v1 import quotations_pb2 as qb
from cypher_runtime.clock import FixedClock
from cypher_testkit.broker import BrokerScope
from cypher_testkit.polling import eventually

from .harness import DatabaseFactory, Stack, running_stack

T0 = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
CLOCK = FixedClock(T0)


@pytest_asyncio.fixture(loop_scope="session")
async def two_replicas(
    database_factory: DatabaseFactory, broker_scope: BrokerScope
) -> AsyncIterator[Stack]:
    CLOCK.set(T0)
    async with running_stack(database_factory, broker_scope, clock=CLOCK, replicas=2) as running:
        yield running


async def test_two_replicas_send_each_reminder_once_and_expire_each_quotation_once(
    two_replicas: Stack,
) -> None:
    stack = two_replicas
    await stack.product("S-1")
    customer = await stack.customer()
    ids = []
    for _ in range(12):
        q = (await stack.create(customer, {"S-1": 1})).quotation
        await stack.quotations.SendQuotation(qb.SendQuotationRequest(quotation_id=q.id))
        ids.append(q.id)
    sweeps = [app.sweep for app in stack.apps]

    async def sweep_both() -> list[tuple[int, int]]:
        return list(await asyncio.gather(*(s.once() for s in sweeps for _ in range(3))))

    CLOCK.set(T0 + 7 * DAY)
    assert sum(r for _, r in await sweep_both()) == 0  # 7 days after sending: 8 before expiry
    CLOCK.set(T0 + 8 * DAY)
    assert sum(r for _, r in await sweep_both()) == 12
    assert sum(r for _, r in await sweep_both()) == 0
    CLOCK.set(T0 + 14 * DAY + timedelta(hours=1))
    assert sum(r for _, r in await sweep_both()) == 12
    CLOCK.set(T0 + 15 * DAY)
    assert sum(e for e, _ in await sweep_both()) == 12
    assert sum(e for e, _ in await sweep_both()) == 0

    reminders = await stack.events(qe.QuotationReminderDue, lambda m: True, count=24)
    await asyncio.sleep(0.5)  # a duplicate would have arrived by now
    reminders = stack.tap.of(qe.QuotationReminderDue)
    assert Counter((m.quotation_id, m.days_before_expiry) for m in reminders) == {
        (i, d): 1 for i in ids for d in (7, 1)
    }
    expired = await stack.events(qe.QuotationExpired, lambda m: True, count=12)
    await asyncio.sleep(0.5)
    expired = stack.tap.of(qe.QuotationExpired)
    assert sorted(m.quotation_id for m in expired) == sorted(ids)
    rows = await stack.sql("SELECT status, reminders_handled FROM quotations")
    assert {(r[0], r[1]) for r in rows} == {("EXPIRED", "[604800, 86400]")}


async def test_a_quote_request_is_drafted_followed_and_confirmed_as_the_same_order(
    stack: Stack,
) -> None:
    await stack.product("Q-1")
    await stack.stock("Q-1", 20)
    customer = await stack.customer()
    request = await stack.orders.CreateQuoteRequest(
        ob.CreateQuoteRequestRequest(
            customer_id=customer,
            lines=[ob.LineQuantity(sku="Q-1", quantity=5)],
            notes="Pentru proiectul din Țară",
        )
    )
    order_id = request.order.id
    created = (await stack.events(qe.QuotationCreated, lambda m: m.source_order_id == order_id))[0]
    q = (
        await stack.quotations.GetQuotation(
            qb.GetQuotationRequest(quotation_id=created.quotation_id)
        )
    ).quotation
    assert (q.status, q.customer_id, q.notes) == (
        qb.QUOTATION_STATUS_DRAFT,
        customer,
        "Pentru proiectul din Țară",
    )
    assert [(ln.sku, ln.quantity) for ln in q.lines] == [("Q-1", 5)]

    async def order_status() -> int:
        return int(
            (await stack.orders.GetOrder(ob.GetOrderRequest(order_id=order_id))).order.status
        )

    await stack.quotations.SendQuotation(qb.SendQuotationRequest(quotation_id=q.id))
    await eventually(order_status, lambda s: s == ob.ORDER_STATUS_QUOTE_SENT, what="QUOTE_SENT")
    await stack.quotations.AcceptQuotation(qb.AcceptQuotationRequest(quotation_id=q.id))
    # Converted at once: the conversion waits for orders to follow the acceptance.
    converted = await stack.quotations.ConvertQuotation(
        qb.ConvertQuotationRequest(quotation_id=q.id)
    )
    assert converted.order_id == order_id
    assert await order_status() == ob.ORDER_STATUS_ORDER_CONFIRMED
    assert await stack.available("Q-1") == 15
    again = await stack.quotations.ConvertQuotation(qb.ConvertQuotationRequest(quotation_id=q.id))
    assert again.order_id == order_id
