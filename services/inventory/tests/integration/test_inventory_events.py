"""Events consumed through the inbox on the real broker: order confirmed / cancelled /
shipped / returned and supplier order received, each delivered three times with the
same id, have the effect of one delivery."""

from __future__ import annotations

import uuid

from google.protobuf.message import Message
from prometheus_client import REGISTRY

from cypher.inventory.v1 import events_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.orders.v1 import events_pb2 as orders_events
from cypher.orders.v1 import orders_pb2
from cypher.suppliers.v1 import events_pb2 as supplier_events
from cypher.suppliers.v1 import suppliers_pb2
from cypher_runtime.messaging.envelope import event_type_of
from cypher_testkit.polling import eventually
from services.inventory.tests.integration.inventory_harness import Running


def consumed(service: Running, message_cls: type[Message]) -> float:
    """Deliveries of that type the consumer finished (applied or recognised duplicate)."""
    queue = service.runtime.consumers[0].queue_name
    total = 0.0
    for outcome in ("applied", "duplicate"):
        value = REGISTRY.get_sample_value(
            "cypher_events_consumed_total",
            {
                "service": "inventory",
                "queue": queue,
                "event_type": event_type_of(message_cls),
                "outcome": outcome,
            },
        )
        total += value or 0.0
    return total


async def deliver_three_times(service: Running, message: Message) -> None:
    before = consumed(service, type(message))
    event_id = str(uuid.uuid4())
    for _ in range(3):
        await service.publish(message, event_id=event_id)

    async def handled() -> float:
        return consumed(service, type(message)) - before

    await eventually(handled, lambda n: n >= 3, what=f"3 deliveries of {event_id}")
    rows = await service.sql("SELECT COUNT(*) AS n FROM inbox WHERE event_id = $1", event_id)
    assert rows[0]["n"] == 1


async def reservation(service: Running, order_id: str) -> pb.Reservation:
    response = await service.stub.GetReservation(pb.GetReservationRequest(order_id=order_id))
    return response.reservation


def lq(sku: str, quantity: int) -> orders_pb2.LineQuantity:
    return orders_pb2.LineQuantity(sku=sku, quantity=quantity)


async def test_order_life_cycle_events_apply_once_each(service: Running) -> None:
    sku = f"EV-{uuid.uuid4().hex[:8]}"
    oid = str(uuid.uuid4())
    await service.receive(sku, "A", 10)
    await service.stub.Reserve(
        pb.ReserveRequest(order_id=oid, lines=[pb.StockLine(sku=sku, quantity=4)])
    )

    await deliver_three_times(service, orders_events.OrderConfirmed(order_id=oid, version=2))
    confirmed = await reservation(service, oid)
    assert confirmed.status == pb.RESERVATION_STATUS_CONFIRMED
    assert confirmed.version == 2
    assert not confirmed.HasField("expires_at")

    await deliver_three_times(
        service,
        orders_events.OrderShipped(order_id=oid, shipment_id="SH-1", lines=[lq(sku, 3)], version=3),
    )
    item = await service.availability(sku)
    assert (item.total_on_hand, item.total_reserved) == (7, 1)
    assert (await reservation(service, oid)).status == pb.RESERVATION_STATUS_PARTIALLY_COMMITTED

    await deliver_three_times(
        service,
        orders_events.OrderReturned(
            order_id=oid, return_id="RET-1", lines=[lq(sku, 2)], reason="faulty", version=4
        ),
    )
    item = await service.availability(sku)
    assert (item.total_on_hand, item.total_reserved) == (9, 1)
    returns = await service.sql(
        "SELECT warehouse, on_hand_delta, reference FROM movements"
        " WHERE sku = $1 AND kind = 'return'",
        sku,
    )
    assert [(r["warehouse"], r["on_hand_delta"], r["reference"]) for r in returns] == [
        ("A", 2, "RET-1")
    ]

    await deliver_three_times(
        service,
        orders_events.OrderCancelled(order_id=oid, lines=[lq(sku, 4)], reason="changed mind"),
    )
    item = await service.availability(sku)
    assert (item.total_on_hand, item.total_reserved) == (9, 0)
    released = await service.events(events_pb2.InventoryReleased, lambda e: e.order_id == oid)
    assert [(a.warehouse, a.quantity) for a in released[0].released] == [("A", 1)]
    assert released[0].reason == pb.RELEASE_REASON_ORDER_CANCELLED
    report = await service.stub.Reconcile(pb.ReconcileRequest(skus=[sku]))
    assert list(report.mismatches) == []


async def test_cancel_of_an_unreserved_order_is_a_tombstone_applied_once(service: Running) -> None:
    oid = str(uuid.uuid4())
    await deliver_three_times(service, orders_events.OrderCancelled(order_id=oid))
    assert (await reservation(service, oid)).status == pb.RESERVATION_STATUS_RELEASED


async def test_supplier_receipt_fills_the_backorder_of_its_order_first_once(
    service: Running,
) -> None:
    sku = f"SUP-{uuid.uuid4().hex[:8]}"
    await service.receive(sku, "A", 1)
    earlier, target = str(uuid.uuid4()), str(uuid.uuid4())
    for oid in (earlier, target):
        await service.stub.Reserve(
            pb.ReserveRequest(
                order_id=oid, lines=[pb.StockLine(sku=sku, quantity=4)], allow_backorder=True
            )
        )
    assert (await reservation(service, target)).backorders[0].quantity == 4

    await deliver_three_times(
        service,
        supplier_events.SupplierOrderReceived(
            supplier_order_id="PO-1",
            order_id=target,
            lines=[suppliers_pb2.ReceivedLine(sku=sku, quantity=5)],  # no warehouse: HQ
        ),
    )

    item = await service.availability(sku)
    assert (item.total_on_hand, item.total_reserved) == (6, 6)
    filled = await reservation(service, target)
    assert filled.backorders[0].fulfilled_quantity == 4  # the supplier order's own first
    assert (await reservation(service, earlier)).backorders[0].fulfilled_quantity == 1
    receipts = await service.sql(
        "SELECT COUNT(*) AS n FROM movements WHERE sku = $1 AND kind = 'receipt'"
        " AND reference = 'PO-1'",
        sku,
    )
    assert receipts[0]["n"] == 1
    await service.events(
        events_pb2.InventoryReserved, lambda e: e.order_id == target and e.version == 2
    )
