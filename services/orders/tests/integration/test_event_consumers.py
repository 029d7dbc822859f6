"""Events that move orders, published on the real broker as their producers will:
quotation sent/accepted, supplier order placed/received, invoice created, payment."""

from __future__ import annotations

import grpc
import pytest

from cypher.common.v1 import money_pb2
from cypher.integration.v1 import events_pb2 as iev
from cypher.orders.v1 import events_pb2 as oev
from cypher.orders.v1 import orders_pb2 as pb
from cypher.quotations.v1 import events_pb2 as qev
from cypher.suppliers.v1 import events_pb2 as sev
from cypher_runtime.grpc_errors import error_from_rpc
from cypher_testkit.polling import eventually

from .harness import Stack, locked_price


async def status_of(stack: Stack, order_id: str) -> int:
    return int(
        (await stack.orders_stub.GetOrder(pb.GetOrderRequest(order_id=order_id))).order.status
    )


async def wait_status(stack: Stack, order_id: str, status: int) -> None:
    await eventually(
        lambda: status_of(stack, order_id), lambda s: s == status, what=f"status {status}"
    )


async def delivered_order(stack: Stack) -> pb.Order:
    customer = await stack.customer()
    await stack.stock("LED-1", 5)
    order = (await stack.place(customer, {"LED-1": 2})).order
    for status in (
        pb.ORDER_STATUS_IN_PREPARATION,
        pb.ORDER_STATUS_READY_TO_SHIP,
        pb.ORDER_STATUS_SHIPPED,
        pb.ORDER_STATUS_DELIVERED,
    ):
        await stack.orders_stub.ChangeOrderStatus(
            pb.ChangeOrderStatusRequest(order_id=order.id, status=status)
        )
    return order


async def test_invoice_then_payment_make_the_order_invoiced_then_paid(stack: Stack) -> None:
    order = await delivered_order(stack)
    await stack.publish(
        iev.InvoiceCreated(invoice_id="FL-0001", order_id=order.id), subject=order.id
    )
    await wait_status(stack, order.id, pb.ORDER_STATUS_INVOICED)
    payment = iev.PaymentReceived(
        invoice_id="FL-0001",
        order_id=order.id,
        fully_paid=True,
        amount=money_pb2.Money(amount="24.20", currency="RON"),
        total_paid=money_pb2.Money(amount="24.20", currency="RON"),
    )
    await stack.publish(payment, subject=order.id)
    await wait_status(stack, order.id, pb.ORDER_STATUS_PAID)
    paid = await stack.events(oev.OrderPaid, lambda e: e.order_id == order.id)
    assert paid[0].amount_paid.amount == "24.20"
    assert paid[0].invoice_id == "FL-0001"
    before = (await stack.orders_stub.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
    # integration notifies the same payment again (a new event): once it is consumed
    # (its inbox row is written with its effect), nothing has changed a second time.
    duplicate = await stack.publish(payment, subject=order.id)
    await eventually(
        lambda: stack.sql("SELECT 1 FROM inbox WHERE event_id = $1", duplicate),
        bool,
        what="the duplicate payment consumed",
    )
    final = (await stack.orders_stub.GetOrder(pb.GetOrderRequest(order_id=order.id))).order
    assert final.status == pb.ORDER_STATUS_PAID
    assert (final.version, final.amount_paid.amount) == (before.version, "24.20")
    effects = await stack.sql(
        "SELECT event_type, count(*) AS n FROM outbox WHERE aggregate_id = $1 "
        "AND event_type IN ('orders.order.paid.v1', 'orders.order.status_changed.v1') "
        "GROUP BY event_type",
        order.id,
    )
    # status changes: confirmed, in preparation, ready, shipped, delivered, invoiced, paid
    assert {r["event_type"]: r["n"] for r in effects} == {
        "orders.order.paid.v1": 1,
        "orders.order.status_changed.v1": 7,
    }
    history = await stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order.id))
    assert [h.to_status for h in history.history].count(pb.ORDER_STATUS_PAID) == 1


async def test_supplier_events_drive_a_backordered_order(stack: Stack) -> None:
    customer = await stack.customer()
    await stack.stock("LED-B", 1)
    order = (await stack.place(customer, {"LED-B": 3}, allow_backorder=True)).order
    await stack.publish(sev.SupplierOrderPlaced(supplier_order_id="SO-1", order_id=order.id))
    await wait_status(stack, order.id, pb.ORDER_STATUS_SUPPLIER_ORDER_PLACED)
    await stack.publish(sev.SupplierOrderReceived(supplier_order_id="SO-1", order_id=order.id))
    await wait_status(stack, order.id, pb.ORDER_STATUS_AWAITING_DELIVERY)
    await stack.orders_stub.ChangeOrderStatus(
        pb.ChangeOrderStatusRequest(order_id=order.id, status=pb.ORDER_STATUS_IN_PREPARATION)
    )
    assert await status_of(stack, order.id) == pb.ORDER_STATUS_IN_PREPARATION


async def test_a_quote_request_follows_its_quotation_and_is_confirmed_by_placement(
    stack: Stack,
) -> None:
    customer = await stack.customer()
    await stack.stock("LED-Q", 10)
    reply = await stack.orders_stub.CreateQuoteRequest(
        pb.CreateQuoteRequestRequest(
            customer_id=customer,
            lines=[pb.LineQuantity(sku="LED-Q", quantity=4)],
            idempotency_key="qr-1",
        )
    )
    order = reply.order
    assert order.status == pb.ORDER_STATUS_QUOTE_PENDING
    assert order.number
    await stack.events(oev.OrderQuoteRequested, lambda e: e.order_id == order.id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stack.orders_stub.CreateOrder(
            pb.CreateOrderRequest(
                customer_id=customer,
                quote_request_order_id=order.id,
                lines=[pb.OrderLineInput(sku="LED-Q", quantity=4)],
            )
        )
    assert error_from_rpc(caught.value).code == "ILLEGAL_TRANSITION"
    await stack.publish(qev.QuotationSent(quotation_id="Q-1", source_order_id=order.id))
    await wait_status(stack, order.id, pb.ORDER_STATUS_QUOTE_SENT)
    await stack.publish(qev.QuotationAccepted(quotation_id="Q-1", source_order_id=order.id))
    await wait_status(stack, order.id, pb.ORDER_STATUS_QUOTE_ACCEPTED)
    confirmed = await stack.orders_stub.CreateOrder(
        pb.CreateOrderRequest(
            customer_id=customer,
            quote_request_order_id=order.id,
            quotation_id="Q-1",
            lines=[
                pb.OrderLineInput(
                    sku="LED-Q", quantity=4, locked_price=locked_price("LED-Q", 4, "12.50")
                )
            ],
        )
    )
    assert confirmed.order.id == order.id
    assert confirmed.order.status == pb.ORDER_STATUS_ORDER_CONFIRMED
    assert confirmed.order.number == order.number
    assert confirmed.order.lines[0].price_locked
    assert confirmed.order.totals.net.amount == "50.00"
    assert await stack.available("LED-Q") == 6
    history = (
        await stack.orders_stub.GetOrderHistory(pb.GetOrderHistoryRequest(order_id=order.id))
    ).history
    assert [h.to_status for h in history] == [
        pb.ORDER_STATUS_QUOTE_PENDING,
        pb.ORDER_STATUS_QUOTE_SENT,
        pb.ORDER_STATUS_QUOTE_ACCEPTED,
        pb.ORDER_STATUS_ORDER_CONFIRMED,
    ]
