"""Lifecycle over real gRPC: transitions with history and events, illegal transitions,
serialized concurrent changes, partial shipments and deliveries, cancel → inventory
releases, return → inventory restocks, ship → inventory commits."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2 as inv
from cypher.orders.v1 import events_pb2 as oev
from cypher.orders.v1 import orders_pb2 as pb
from cypher_runtime.grpc_errors import error_from_rpc
from cypher_testkit.polling import eventually

from .harness import Stack


async def confirmed(stack: Stack, lines: dict[str, int]) -> pb.Order:
    customer = await stack.customer()
    for sku, qty in lines.items():
        await stack.stock(sku, qty + 5)
    return (await stack.place(customer, lines)).order


async def move(stack: Stack, order_id: str, status: int, reason: str = "") -> pb.Order:
    reply = await stack.orders_stub.ChangeOrderStatus(
        pb.ChangeOrderStatusRequest(order_id=order_id, status=status, reason=reason)  # type: ignore[arg-type]
    )
    return reply.order


async def test_an_illegal_transition_names_from_to_and_allowed(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-1": 1})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await move(stack, order.id, pb.ORDER_STATUS_SHIPPED)
    remote = error_from_rpc(caught.value)
    assert remote.status == grpc.StatusCode.FAILED_PRECONDITION
    assert remote.code == "ILLEGAL_TRANSITION"
    assert remote.details == {
        "from": "ORDER_CONFIRMED",
        "to": "SHIPPED",
        "allowed": ["SUPPLIER_ORDER_PLACED", "IN_PREPARATION", "CANCELLED"],
    }


async def test_every_transition_is_a_history_row_and_an_event(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-1": 1})
    await move(stack, order.id, pb.ORDER_STATUS_IN_PREPARATION, "picking")
    await move(stack, order.id, pb.ORDER_STATUS_READY_TO_SHIP)
    history = (
        await stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order.id))
    ).history
    assert [(h.from_status, h.to_status) for h in history] == [
        (pb.ORDER_STATUS_UNSPECIFIED, pb.ORDER_STATUS_ORDER_CONFIRMED),
        (pb.ORDER_STATUS_ORDER_CONFIRMED, pb.ORDER_STATUS_IN_PREPARATION),
        (pb.ORDER_STATUS_IN_PREPARATION, pb.ORDER_STATUS_READY_TO_SHIP),
    ]
    assert history[1].reason == "picking"
    changed = await stack.events(oev.OrderStatusChanged, lambda e: e.order_id == order.id, count=3)
    assert sorted(e.version for e in changed) == sorted({e.version for e in changed})


async def test_concurrent_transitions_serialize_without_lost_updates(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-1": 1})
    targets = [pb.ORDER_STATUS_IN_PREPARATION] * 6 + [pb.ORDER_STATUS_CANCELLED] * 6

    async def attempt(target: int) -> str:
        try:
            await move(stack, order.id, target)
        except grpc.aio.AioRpcError as err:
            return error_from_rpc(err).code
        return "OK"

    outcomes = await asyncio.gather(*(attempt(t) for t in targets))
    preparing, cancelling = outcomes[:6], outcomes[6:]
    # Cancelling is allowed from both ORDER_CONFIRMED and IN_PREPARATION (and a repeat is
    # a no-op): every cancel succeeds. IN_PREPARATION succeeds before the first cancel
    # (or repeats itself) and is an illegal transition after it.
    assert cancelling == ["OK"] * 6
    assert set(preparing) <= {"OK", "ILLEGAL_TRANSITION"}
    history = (
        await stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order.id))
    ).history
    chain = [(h.from_status, h.to_status) for h in history]
    confirmed_row = (pb.ORDER_STATUS_UNSPECIFIED, pb.ORDER_STATUS_ORDER_CONFIRMED)
    if "OK" in preparing:
        assert chain == [
            confirmed_row,
            (pb.ORDER_STATUS_ORDER_CONFIRMED, pb.ORDER_STATUS_IN_PREPARATION),
            (pb.ORDER_STATUS_IN_PREPARATION, pb.ORDER_STATUS_CANCELLED),
        ]
    else:
        assert chain == [
            confirmed_row,
            (pb.ORDER_STATUS_ORDER_CONFIRMED, pb.ORDER_STATUS_CANCELLED),
        ]
    final = (await stack.orders_stub.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
    assert final.status == pb.ORDER_STATUS_CANCELLED
    assert final.version == 1 + 3 + (len(chain) - 1)  # placement steps + one per transition
    cancelled = await stack.events(oev.OrderCancelled, lambda e: e.order_id == order.id)
    assert len(cancelled) == 1


async def test_concurrent_shipments_never_ship_more_than_ordered(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-1": 10})
    await move(stack, order.id, pb.ORDER_STATUS_IN_PREPARATION)
    await move(stack, order.id, pb.ORDER_STATUS_READY_TO_SHIP)

    async def ship_one() -> str:
        try:
            await stack.orders_stub.CreateShipment(
                pb.CreateShipmentRequest(
                    order_id=order.id, lines=[pb.LineQuantity(sku="LED-1", quantity=1)]
                )
            )
        except grpc.aio.AioRpcError as err:
            return error_from_rpc(err).code
        return "OK"

    results = await asyncio.gather(*(ship_one() for _ in range(15)))
    assert results.count("OK") == 10
    # The five late ones are refused for the order's state, never for anything else:
    # nothing left to ship, or the order is SHIPPED already.
    assert set(results) - {"OK"} <= {"INVALID_QUANTITY", "ILLEGAL_TRANSITION"}
    final = (await stack.orders_stub.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
    assert final.lines[0].shipped_quantity == 10
    assert final.status == pb.ORDER_STATUS_SHIPPED
    assert len(final.shipments) == 10


async def test_partial_shipments_and_deliveries_keep_per_line_quantities(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-1": 4, "LED-2": 2})
    await move(stack, order.id, pb.ORDER_STATUS_IN_PREPARATION)
    await move(stack, order.id, pb.ORDER_STATUS_READY_TO_SHIP)
    first = await stack.orders_stub.CreateShipment(
        pb.CreateShipmentRequest(
            order_id=order.id, lines=[pb.LineQuantity(sku="LED-1", quantity=3)]
        )
    )
    assert [(ln.sku, ln.shipped_quantity) for ln in first.order.lines] == [
        ("LED-1", 3),
        ("LED-2", 0),
    ]
    assert first.order.status == pb.ORDER_STATUS_READY_TO_SHIP
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.orders_stub.CreateShipment(
            pb.CreateShipmentRequest(
                order_id=order.id, lines=[pb.LineQuantity(sku="LED-1", quantity=2)]
            )
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    rest = await stack.orders_stub.CreateShipment(pb.CreateShipmentRequest(order_id=order.id))
    assert [(ln.sku, ln.shipped_quantity) for ln in rest.order.lines] == [
        ("LED-1", 4),
        ("LED-2", 2),
    ]
    assert rest.order.status == pb.ORDER_STATUS_SHIPPED
    shipped = await stack.events(oev.OrderShipped, lambda e: e.order_id == order.id, count=2)
    assert any(e.fully_shipped for e in shipped)

    # inventory commits what shipped (order.shipped → Commit)
    async def reservation() -> inv.Reservation:
        reply = await stack.inventory_stub.GetReservation(
            inv.GetReservationRequest(order_id=order.id)
        )
        return reply.reservation

    await eventually(
        reservation, lambda r: r.status == inv.RESERVATION_STATUS_COMMITTED, what="committed"
    )

    d1 = await stack.orders_stub.RecordDelivery(
        pb.RecordDeliveryRequest(order_id=order.id, shipment_id=first.shipment.id)
    )
    assert [(ln.sku, ln.delivered_quantity) for ln in d1.order.lines] == [
        ("LED-1", 3),
        ("LED-2", 0),
    ]
    assert d1.order.status == pb.ORDER_STATUS_SHIPPED
    d2 = await stack.orders_stub.RecordDelivery(
        pb.RecordDeliveryRequest(order_id=order.id, shipment_id=rest.shipment.id)
    )
    assert [(ln.sku, ln.delivered_quantity) for ln in d2.order.lines] == [
        ("LED-1", 4),
        ("LED-2", 2),
    ]
    assert d2.order.status == pb.ORDER_STATUS_DELIVERED
    delivered = await stack.events(
        oev.OrderDelivered, lambda e: e.order_id == order.id and e.fully_delivered
    )
    assert delivered[0].customer.vat_code == "RO14399840"


async def test_cancel_releases_the_stock_in_inventory(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-7": 3})  # stock 8
    assert await stack.available("LED-7") == 5
    reply = await stack.orders_stub.CancelOrder(
        pb.CancelOrderRequest(order_id=order.id, reason="changed mind")
    )
    assert reply.order.status == pb.ORDER_STATUS_CANCELLED
    await stack.events(oev.OrderCancelled, lambda e: e.order_id == order.id)
    await eventually(lambda: stack.available("LED-7"), lambda n: n == 8, what="stock released")
    again = await stack.orders_stub.CancelOrder(
        pb.CancelOrderRequest(order_id=order.id, reason="again")
    )
    assert again.order.version == reply.order.version  # idempotent


async def test_a_return_restocks_the_returned_units(stack: Stack) -> None:
    order = await confirmed(stack, {"LED-8": 4})  # stock 9
    await move(stack, order.id, pb.ORDER_STATUS_IN_PREPARATION)
    await move(stack, order.id, pb.ORDER_STATUS_READY_TO_SHIP)
    await move(stack, order.id, pb.ORDER_STATUS_SHIPPED)  # ships everything

    async def on_hand() -> int:
        reply = await stack.inventory_stub.GetAvailability(
            inv.GetAvailabilityRequest(skus=["LED-8"])
        )
        return int(reply.items[0].total_on_hand)

    await eventually(on_hand, lambda n: n == 5, what="shipment committed")
    reply = await stack.orders_stub.ReturnOrder(
        pb.ReturnOrderRequest(
            order_id=order.id, lines=[pb.LineQuantity(sku="LED-8", quantity=1)], reason="broken"
        )
    )
    assert reply.order.status == pb.ORDER_STATUS_RETURNED
    assert reply.order.lines[0].returned_quantity == 1
    await eventually(on_hand, lambda n: n == 6, what="return restocked")


async def test_list_orders_filters_by_status_and_pages(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-1", 50)
    ids = [(await stack.place(customer, {"LED-1": 1})).order.id for _ in range(5)]
    await move(stack, ids[0], pb.ORDER_STATUS_IN_PREPARATION)
    prepping = await stack.orders_stub.ListOrders(
        pb.ListOrdersRequest(statuses=[pb.ORDER_STATUS_IN_PREPARATION])
    )
    assert [o.id for o in prepping.orders] == [ids[0]]
    seen: list[str] = []
    cursor = ""
    while True:
        page = await stack.orders_stub.ListOrders(
            pb.ListOrdersRequest(
                customer_id=customer, page=pagination_pb2.PageRequest(limit=2, cursor=cursor)
            )
        )
        seen += [o.id for o in page.orders]
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert seen == list(reversed(ids))
