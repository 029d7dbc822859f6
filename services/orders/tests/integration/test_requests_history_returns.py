"""Quote requests, order history and returns over real gRPC: the RPCs behind the
gateway's quote-request, history and return routes, each with its refusals."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any

import grpc
import pytest

from cypher.orders.v1 import events_pb2 as oev
from cypher.orders.v1 import orders_pb2 as pb
from cypher_runtime.grpc_errors import error_from_rpc

from .harness import Stack


async def refused(call: Awaitable[object]) -> tuple[grpc.StatusCode, str, dict[str, Any]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    remote = error_from_rpc(caught.value)
    return remote.status, remote.code, remote.details


def quote_request(customer: str, key: str = "", quantity: int = 4) -> pb.CreateQuoteRequestRequest:
    return pb.CreateQuoteRequestRequest(
        customer_id=customer,
        lines=[
            pb.LineQuantity(sku="LED-Q", quantity=quantity),
            pb.LineQuantity(sku="LED-R", quantity=1),
        ],
        notes="for the new office",
        idempotency_key=key,
    )


async def test_a_quote_request_is_numbered_visible_and_idempotent(stack: Stack) -> None:
    customer = await stack.customer()
    first = await stack.orders_stub.CreateQuoteRequest(quote_request(customer, "qr-a"))
    order = first.order
    assert first.replayed is False
    assert order.status == pb.ORDER_STATUS_QUOTE_PENDING
    assert order.source == pb.ORDER_SOURCE_QUOTE_REQUEST
    assert order.number.endswith("-000001")
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("LED-Q", 4), ("LED-R", 1)]
    assert not any(ln.HasField("price") for ln in order.lines)
    again = await stack.orders_stub.CreateQuoteRequest(quote_request(customer, "qr-a"))
    assert (again.replayed, again.order.id, again.order.number) == (True, order.id, order.number)
    status, code, _ = await refused(
        stack.orders_stub.CreateQuoteRequest(quote_request(customer, "qr-a", quantity=5))
    )
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
    second = await stack.orders_stub.CreateQuoteRequest(quote_request(customer))
    assert second.order.number.endswith("-000002")  # no number lost to the replays
    requested = await stack.events(oev.OrderQuoteRequested, lambda e: e.order_id == order.id)
    assert [(ln.sku, ln.quantity) for ln in requested[0].lines] == [("LED-Q", 4), ("LED-R", 1)]
    assert requested[0].notes == "for the new office"
    listed = await stack.orders_stub.ListOrders(
        pb.ListOrdersRequest(customer_id=customer, statuses=[pb.ORDER_STATUS_QUOTE_PENDING])
    )
    assert sorted(o.id for o in listed.orders) == sorted([order.id, second.order.id])


async def test_a_quote_request_is_refused_for_bad_input(stack: Stack) -> None:
    customer = await stack.customer()
    status, code, _ = await refused(
        stack.orders_stub.CreateQuoteRequest(quote_request(str(uuid.uuid4())))
    )
    assert (status, code) == (grpc.StatusCode.NOT_FOUND, "CUSTOMER_NOT_FOUND")
    status, code, details = await refused(
        stack.orders_stub.CreateQuoteRequest(
            pb.CreateQuoteRequestRequest(
                customer_id=customer, lines=[pb.LineQuantity(sku="LED-Q", quantity=0)]
            )
        )
    )
    assert (status, code) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUANTITY")
    assert details["fields"] == {"lines[0].quantity": "must be >= 1"}
    status, _, details = await refused(
        stack.orders_stub.CreateQuoteRequest(pb.CreateQuoteRequestRequest(customer_id=customer))
    )
    assert status == grpc.StatusCode.INVALID_ARGUMENT
    assert "lines" in details["fields"]
    # A refused request drew no number.
    ok = await stack.orders_stub.CreateQuoteRequest(quote_request(customer))
    assert ok.order.number.endswith("-000001")


async def test_history_names_actor_reason_and_order_of_every_transition(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-H", 5)
    order = (await stack.place(customer, {"LED-H": 1})).order
    for status, reason in [
        (pb.ORDER_STATUS_IN_PREPARATION, "picking"),
        (pb.ORDER_STATUS_CANCELLED, "customer called"),
    ]:
        await stack.orders_stub.ChangeOrderStatus(
            pb.ChangeOrderStatusRequest(order_id=order.id, status=status, reason=reason),
            metadata=(("x-actor", "clerk-7"),),
        )
    history = (
        await stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order.id))
    ).history
    assert [(h.from_status, h.to_status, h.reason) for h in history] == [
        (pb.ORDER_STATUS_UNSPECIFIED, pb.ORDER_STATUS_ORDER_CONFIRMED, "order placed"),
        (pb.ORDER_STATUS_ORDER_CONFIRMED, pb.ORDER_STATUS_IN_PREPARATION, "picking"),
        (pb.ORDER_STATUS_IN_PREPARATION, pb.ORDER_STATUS_CANCELLED, "customer called"),
    ]
    assert [h.actor for h in history[1:]] == ["clerk-7", "clerk-7"]
    stamps = [h.changed_at.ToDatetime() for h in history]
    assert stamps == sorted(stamps)


async def test_history_of_an_order_clients_cannot_see_is_not_found(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-S", 1)
    with pytest.raises(grpc.aio.AioRpcError):
        await stack.place(customer, {"LED-S": 2}, key="short")  # REJECTED: invisible
    (rejected,) = await stack.sql("SELECT id FROM orders WHERE idempotency_key = 'short'")
    for order_id in (str(rejected["id"]), str(uuid.uuid4())):
        status, code, _ = await refused(
            stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order_id))
        )
        assert (status, code) == (grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    status, _, details = await refused(
        stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id="nope"))
    )
    assert status == grpc.StatusCode.INVALID_ARGUMENT
    assert details["fields"] == {"order_id": "not a valid id"}


async def shipped_order(stack: Stack, lines: dict[str, int]) -> pb.Order:
    customer = await stack.customer()
    for sku, qty in lines.items():
        await stack.stock(sku, qty)
    order = (await stack.place(customer, lines)).order
    for status in (pb.ORDER_STATUS_IN_PREPARATION, pb.ORDER_STATUS_READY_TO_SHIP):
        await stack.orders_stub.ChangeOrderStatus(
            pb.ChangeOrderStatusRequest(order_id=order.id, status=status)
        )
    return order


async def test_a_return_without_lines_returns_everything_shipped(stack: Stack) -> None:
    order = await shipped_order(stack, {"LED-T": 3, "LED-U": 2})
    await stack.orders_stub.CreateShipment(
        pb.CreateShipmentRequest(
            order_id=order.id, lines=[pb.LineQuantity(sku="LED-T", quantity=2)]
        )
    )
    # Not SHIPPED yet (READY_TO_SHIP with a partial shipment): no return.
    status, code, _ = await refused(
        stack.orders_stub.ReturnOrder(pb.ReturnOrderRequest(order_id=order.id, reason="x"))
    )
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "ILLEGAL_TRANSITION")
    await stack.orders_stub.CreateShipment(pb.CreateShipmentRequest(order_id=order.id))
    status, code, details = await refused(
        stack.orders_stub.ReturnOrder(
            pb.ReturnOrderRequest(
                order_id=order.id, lines=[pb.LineQuantity(sku="LED-U", quantity=3)]
            )
        )
    )
    assert (status, code) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_QUANTITY")
    assert details["fields"] == {"LED-U": "cannot return 3, at most 2"}
    reply = await stack.orders_stub.ReturnOrder(
        pb.ReturnOrderRequest(order_id=order.id, reason="wrong colour")
    )
    assert reply.order.status == pb.ORDER_STATUS_RETURNED
    assert [(ln.sku, ln.returned_quantity) for ln in reply.order.lines] == [
        ("LED-T", 3),
        ("LED-U", 2),
    ]
    assert dict((ln.sku, ln.quantity) for ln in reply.order_return.lines) == {
        "LED-T": 3,
        "LED-U": 2,
    }
    returned = await stack.events(oev.OrderReturned, lambda e: e.order_id == order.id)
    assert returned[0].return_id == reply.order_return.id
    assert returned[0].reason == "wrong colour"
    # RETURNED is terminal.
    status, code, _ = await refused(
        stack.orders_stub.ReturnOrder(pb.ReturnOrderRequest(order_id=order.id))
    )
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "ILLEGAL_TRANSITION")


async def test_a_return_with_one_key_is_recorded_once(stack: Stack) -> None:
    """The gateway forwards its Idempotency-Key: a repeat (after a lost answer, or the
    gateway re-running after its lease) answers with the first return, even two at once."""
    order = await shipped_order(stack, {"LED-K": 3})
    await stack.orders_stub.CreateShipment(pb.CreateShipmentRequest(order_id=order.id))
    key = f"user-1:{uuid.uuid4()}"
    request = pb.ReturnOrderRequest(
        order_id=order.id,
        lines=[pb.LineQuantity(sku="LED-K", quantity=1)],
        reason="scratched",
        idempotency_key=key,
    )
    racing = await asyncio.gather(*(stack.orders_stub.ReturnOrder(request) for _ in range(3)))
    again = await stack.orders_stub.ReturnOrder(request)
    return_id = racing[0].order_return.id
    assert {r.order_return.id for r in [*racing, again]} == {return_id}
    assert again.order.status == pb.ORDER_STATUS_RETURNED
    assert [(ln.sku, ln.returned_quantity) for ln in again.order.lines] == [("LED-K", 1)]
    rows = await stack.sql(
        "SELECT jsonb_array_length(returns) AS n FROM orders WHERE id = $1", uuid.UUID(order.id)
    )
    assert rows[0]["n"] == 1
    returned = await stack.events(oev.OrderReturned, lambda e: e.order_id == order.id)
    assert [e.return_id for e in returned] == [return_id]
    # The same key with other lines is refused, and changes nothing.
    status, code, _ = await refused(
        stack.orders_stub.ReturnOrder(
            pb.ReturnOrderRequest(
                order_id=order.id,
                lines=[pb.LineQuantity(sku="LED-K", quantity=2)],
                reason="scratched",
                idempotency_key=key,
            )
        )
    )
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED")
