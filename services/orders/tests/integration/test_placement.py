"""The placement saga over real gRPC with real inventory and real pricing:
confirmation, insufficient stock, idempotency, gap-free numbers."""

from __future__ import annotations

import asyncio
import re
import uuid

import grpc
import pytest
from prometheus_client import REGISTRY

from cypher.inventory.v1 import inventory_pb2 as inv
from cypher.orders.v1 import events_pb2 as oev
from cypher.orders.v1 import orders_pb2 as pb
from cypher_runtime.grpc_errors import error_from_rpc

from .harness import Stack, locked_price


def sagas_ended(outcome: str) -> float:
    labels = {"service": "orders", "saga": "placement", "outcome": outcome}
    return REGISTRY.get_sample_value("cypher_saga_outcomes_total", labels) or 0.0


async def test_an_order_is_confirmed_with_its_reservation_and_events(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 10)
    await stack.stock("LED-2", 4, warehouse="B")
    confirmed_before = sagas_ended("confirmed")
    order = (await stack.place(customer, {"LED-1": 3, "LED-2": 2})).order
    assert order.status == pb.ORDER_STATUS_ORDER_CONFIRMED
    assert sagas_ended("confirmed") == confirmed_before + 1
    assert re.fullmatch(r"CMD-\d{4}-000001", order.number)
    assert order.totals.net.amount == "50.00"
    assert order.totals.vat.amount == "10.50"
    reservation = (
        await stack.inventory_stub.GetReservation(inv.GetReservationRequest(order_id=order.id))
    ).reservation
    assert reservation.status == inv.RESERVATION_STATUS_CONFIRMED
    assert sorted((a.sku, a.warehouse, a.quantity) for a in reservation.allocations) == [
        ("LED-1", "A", 3),
        ("LED-2", "B", 2),
    ]
    assert await stack.available("LED-1") == 7
    await stack.events(oev.OrderCreated, lambda e: e.order.id == order.id)
    confirmed = await stack.events(oev.OrderConfirmed, lambda e: e.order_id == order.id)
    assert confirmed[0].net_total.amount == "50.00"
    history = (
        await stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order.id))
    ).history
    assert [(h.from_status, h.to_status) for h in history] == [
        (pb.ORDER_STATUS_UNSPECIFIED, pb.ORDER_STATUS_ORDER_CONFIRMED)
    ]
    steps = await stack.sql(
        "SELECT step, state FROM saga_log WHERE order_id = $1 ORDER BY id", uuid.UUID(order.id)
    )
    assert [(s["step"], s["state"]) for s in steps] == [
        ("START", "SUCCEEDED"),
        ("PRICE", "SUCCEEDED"),
        ("RESERVE", "SUCCEEDED"),
        ("CONFIRM", "SUCCEEDED"),
    ]


async def test_insufficient_stock_reserves_nothing_and_leaves_no_visible_order(
    stack: Stack,
) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 5)
    await stack.stock("LED-2", 1)
    rejected_before, failed_before = sagas_ended("rejected"), sagas_ended("failed")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.place(customer, {"LED-1": 3, "LED-2": 4}, key="short-1")
    # A business refusal is counted apart from the infrastructure failures the alert reads.
    assert sagas_ended("rejected") == rejected_before + 1
    assert sagas_ended("failed") == failed_before
    remote = error_from_rpc(caught.value)
    assert remote.status == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert remote.code == "INSUFFICIENT_STOCK"
    assert remote.details["shortfall"] == {"LED-2": 3}
    assert await stack.available("LED-1") == 5
    assert await stack.available("LED-2") == 1
    listed = await stack.orders_stub.ListOrders(pb.ListOrdersRequest())
    assert list(listed.orders) == []
    rows = await stack.sql("SELECT placement, status FROM orders")
    assert [(r["placement"], r["status"]) for r in rows] == [("REJECTED", None)]
    # The same key replays the same refusal.
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await stack.place(customer, {"LED-1": 3, "LED-2": 4}, key="short-1")
    assert error_from_rpc(again.value).details["shortfall"] == {"LED-2": 3}


async def test_a_repeated_idempotency_key_returns_the_same_order(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 10)
    first = await stack.place(customer, {"LED-1": 2}, key="key-1")
    again = await stack.place(customer, {"LED-1": 2}, key="key-1")
    assert again.replayed is True
    assert again.order.id == first.order.id
    assert again.order.number == first.order.number
    assert await stack.available("LED-1") == 8
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.place(customer, {"LED-1": 3}, key="key-1")
    assert error_from_rpc(caught.value).code == "IDEMPOTENCY_KEY_REUSED"


async def test_concurrent_requests_with_one_key_create_one_order(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 100)
    replies = await asyncio.gather(
        *(stack.place(customer, {"LED-1": 1}, key="same") for _ in range(8))
    )
    assert len({r.order.id for r in replies}) == 1
    assert sum(not r.replayed for r in replies) == 1
    assert await stack.available("LED-1") == 99
    count = await stack.sql("SELECT count(*) AS n FROM orders")
    assert count[0]["n"] == 1


async def test_concurrent_confirmations_get_gap_free_numbers(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 25)

    async def attempt(i: int) -> pb.Order | str:
        try:
            return (await stack.place(customer, {"LED-1": 1 if i % 3 else 50}, key=f"n-{i}")).order
        except grpc.aio.AioRpcError as err:
            return error_from_rpc(err).code

    results = await asyncio.gather(*(attempt(i) for i in range(30)))
    confirmed = [o for o in results if isinstance(o, pb.Order)]
    assert {o for o in results if isinstance(o, str)} == {"INSUFFICIENT_STOCK"}
    numbers = sorted(int(o.number.rsplit("-", 1)[1]) for o in confirmed)
    assert len(confirmed) == 20  # every third asks for 50 and is refused
    assert numbers == list(range(1, 21))


async def test_backorder_reserves_what_exists_and_asks_suppliers(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-9", 2)
    order = (await stack.place(customer, {"LED-9": 5}, allow_backorder=True)).order
    assert order.status == pb.ORDER_STATUS_ORDER_CONFIRMED
    assert order.lines[0].backordered_quantity == 3
    needed = await stack.events(oev.OrderBackorderNeeded, lambda e: e.order_id == order.id)
    assert [(ln.sku, ln.quantity) for ln in needed[0].lines] == [("LED-9", 3)]


async def test_an_unknown_customer_is_refused_before_anything_happens(stack: Stack) -> None:
    await stack.stock("LED-1", 5)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.place(str(uuid.uuid4()), {"LED-1": 1})
    assert error_from_rpc(caught.value).code == "CUSTOMER_NOT_FOUND"
    assert await stack.available("LED-1") == 5


async def test_real_pricing_prices_the_lines(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.product("LED-P", cost="10.00", margin_pct="50")
    await stack.stock("LED-P", 20)
    order = (await stack.place(customer, {"LED-P": 10}, unit_net=None)).order
    line = order.lines[0]
    assert line.price.list_price.amount == "15.00"
    assert line.price.volume_discount_pct in ("2", "2.00")
    assert order.totals.net.amount == line.price.line_net.amount
    assert order.pricing_date


async def test_an_unknown_sku_at_pricing_is_refused_and_nothing_reserved(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("NOPE-1", 5)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.place(customer, {"NOPE-1": 1}, unit_net=None)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert await stack.available("NOPE-1") == 5


async def test_converting_a_quotation_twice_gives_one_order_with_the_locked_prices(
    stack: Stack,
) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 10)
    request = pb.CreateOrderRequest(
        customer_id=customer,
        quotation_id="Q-2026-7",
        lines=[
            pb.OrderLineInput(
                sku="LED-1", quantity=3, locked_price=locked_price("LED-1", 3, "7.50")
            )
        ],
    )
    first = await stack.orders_stub.CreateOrder(request)
    request.idempotency_key = "some-other-key"  # the quotation decides, not the key
    again = await stack.orders_stub.CreateOrder(request)
    assert again.replayed is True
    assert again.order.id == first.order.id
    assert first.order.source == pb.ORDER_SOURCE_QUOTATION
    assert first.order.lines[0].price_locked
    assert first.order.totals.net.amount == "22.50"
    assert await stack.available("LED-1") == 7


async def test_numbers_keep_every_digit_past_six(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 5)
    first = (await stack.place(customer, {"LED-1": 1})).order
    year = first.number.split("-")[1]
    await stack.sql("UPDATE order_number_counters SET value = 999999 WHERE year = $1", int(year))
    second = (await stack.place(customer, {"LED-1": 1})).order
    third = (await stack.place(customer, {"LED-1": 1})).order
    assert second.number == f"CMD-{year}-1000000"
    assert third.number == f"CMD-{year}-1000001"
