"""Best offers across suppliers, supplier orders and their events, and the DRAFT orders
a customer backorder produces."""

from __future__ import annotations

import grpc
import pytest

from cypher.common.v1.pagination_pb2 import PageRequest
from cypher.orders.v1 import events_pb2 as orders_ev
from cypher.suppliers.v1 import events_pb2 as ev
from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher_testkit.polling import eventually
from services.suppliers.tests.integration.suppliers_harness import Running


async def map_panel(service: Running) -> dict[str, pb.Supplier]:
    """LED-PANEL-60 at Masterled (ML000001), FSL (FSL.00001) and Aca (ACA-00001)."""
    suppliers = {}
    for name, code in (
        ("Masterled", "ML000001"),
        ("FSL", "FSL.00001"),
        ("Aca Lighting", "ACA-00001"),
    ):
        s = await service.add_supplier(name)
        await service.sync(s.id)
        await service.stub.CreateMapping(
            pb.CreateMappingRequest(supplier_id=s.id, supplier_sku=code, sku="LED-PANEL-60")
        )
        suppliers[name] = s
    return suppliers


async def test_the_best_offer_is_the_cheapest_in_stock(service: Running) -> None:
    suppliers = await map_panel(service)
    await service.site("PUT", "/_fake/masterled/items/ML000001", {"price": "70.00", "stock": 5})
    await service.site("PUT", "/_fake/fsl/items/FSL.00001", {"price": "60.00", "stock": 0})
    await service.site("PUT", "/_fake/aca/items/ACA-00001", {"price": "75.00", "stock": 9})
    for s in suppliers.values():
        await service.sync(s.id)
    best = await service.stub.GetBestOffer(pb.GetBestOfferRequest(sku="LED-PANEL-60"))
    assert (best.offer.supplier_name, best.offer.price.amount) == ("Masterled", "70.00")
    assert best.offer.stock_quantity == 5
    listed = await service.stub.ListOffers(pb.ListOffersRequest(sku="LED-PANEL-60"))
    assert [o.supplier_name for o in listed.offers] == ["FSL", "Masterled", "Aca Lighting"]
    paged = await service.stub.ListOffers(
        pb.ListOffersRequest(sku="LED-PANEL-60", page=PageRequest(limit=2))
    )
    rest = await service.stub.ListOffers(
        pb.ListOffersRequest(
            sku="LED-PANEL-60", page=PageRequest(limit=2, cursor=paged.page.next_cursor)
        )
    )
    assert [o.supplier_name for o in rest.offers] == ["Aca Lighting"]
    # An inactive supplier's offers do not count.
    await service.stub.UpdateSupplier(
        pb.UpdateSupplierRequest(supplier_id=suppliers["Masterled"].id, active=False)
    )
    best = await service.stub.GetBestOffer(pb.GetBestOfferRequest(sku="LED-PANEL-60"))
    assert best.offer.supplier_name == "Aca Lighting"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await service.stub.GetBestOffer(pb.GetBestOfferRequest(sku="NOT-SOLD"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_supplier_order_from_placed_to_received_in_two_receipts(service: Running) -> None:
    suppliers = await map_panel(service)
    request = pb.CreateSupplierOrderRequest(
        supplier_id=suppliers["FSL"].id,
        lines=[pb.SupplierOrderLine(sku="LED-PANEL-60", quantity=10, warehouse="B")],
        expected_date="2026-12-10",
        idempotency_key="po-1",
    )
    created = await service.stub.CreateSupplierOrder(request)
    replay = await service.stub.CreateSupplierOrder(request)
    order = created.supplier_order
    assert order.status == pb.SUPPLIER_ORDER_STATUS_PLACED
    assert order.lines[0].supplier_sku == "FSL.00001"  # filled from the mapped offer
    assert replay.replayed
    assert replay.supplier_order.id == order.id
    (placed,) = await service.events(
        ev.SupplierOrderPlaced, lambda m: m.supplier_order_id == order.id
    )
    assert placed.lines[0].quantity == 10

    part = await service.stub.ReceiveSupplierOrder(
        pb.ReceiveSupplierOrderRequest(
            supplier_order_id=order.id, lines=[pb.ReceivedLine(sku="LED-PANEL-60", quantity=4)]
        )
    )
    assert part.supplier_order.status == pb.SUPPLIER_ORDER_STATUS_PLACED
    assert part.supplier_order.lines[0].received_quantity == 4
    with pytest.raises(grpc.aio.AioRpcError) as too_many:
        await service.stub.ReceiveSupplierOrder(
            pb.ReceiveSupplierOrderRequest(
                supplier_order_id=order.id, lines=[pb.ReceivedLine(sku="LED-PANEL-60", quantity=7)]
            )
        )
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    done = await service.stub.ChangeSupplierOrderStatus(
        pb.ChangeSupplierOrderStatusRequest(
            supplier_order_id=order.id, status=pb.SUPPLIER_ORDER_STATUS_RECEIVED
        )
    )
    assert done.supplier_order.status == pb.SUPPLIER_ORDER_STATUS_RECEIVED
    receipts = await service.events(
        ev.SupplierOrderReceived, lambda m: m.supplier_order_id == order.id, count=2
    )
    assert sorted(r.lines[0].quantity for r in receipts) == [4, 6]
    assert {r.lines[0].warehouse for r in receipts} == {"B"}
    with pytest.raises(grpc.aio.AioRpcError) as illegal:
        await service.stub.ChangeSupplierOrderStatus(
            pb.ChangeSupplierOrderStatusRequest(
                supplier_order_id=order.id, status=pb.SUPPLIER_ORDER_STATUS_CANCELLED
            )
        )
    assert illegal.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = await service.stub.ListSupplierOrders(
        pb.ListSupplierOrdersRequest(sku="LED-PANEL-60", status=pb.SUPPLIER_ORDER_STATUS_RECEIVED)
    )
    assert [o.id for o in listed.supplier_orders] == [order.id]


async def test_a_backorder_drafts_one_order_per_best_supplier_once(service: Running) -> None:
    suppliers = await map_panel(service)
    bulb = await service.add_supplier("Braytron")
    await service.sync(bulb.id)
    await service.stub.CreateMapping(
        pb.CreateMappingRequest(supplier_id=bulb.id, supplier_sku="BR-0002", sku="LED-BULB-E27")
    )
    await service.site("PUT", "/_fake/masterled/items/ML000001", {"price": "50.00", "stock": 5})
    await service.sync(suppliers["Masterled"].id)
    message = orders_ev.OrderBackorderNeeded(
        order_id="7d1c3a52-0000-4000-8000-000000000001",
        number="CMD-000042",
        lines=[
            orders_ev.OrderBackorderNeeded.BackorderLine(
                sku="LED-PANEL-60", quantity=7, expected_date="2026-12-13"
            ),
            orders_ev.OrderBackorderNeeded.BackorderLine(sku="LED-BULB-E27", quantity=3),
            orders_ev.OrderBackorderNeeded.BackorderLine(sku="NOBODY-SELLS", quantity=1),
        ],
        version=3,
    )
    await service.publish(message, subject=message.order_id)
    await service.publish(message, subject=message.order_id)  # a second delivery

    async def drafts() -> list[pb.SupplierOrder]:
        reply = await service.stub.ListSupplierOrders(
            pb.ListSupplierOrdersRequest(order_id=message.order_id)
        )
        return list(reply.supplier_orders)

    found = await eventually(drafts, lambda d: len(d) == 2, what="two drafts")
    inbox = await eventually(
        lambda: service.sql("SELECT count(*) AS n FROM inbox"), lambda r: r[0]["n"] == 2
    )
    assert inbox[0]["n"] == 2
    assert len(await drafts()) == 2
    by_supplier = {o.supplier_id: o for o in found}
    panel = by_supplier[suppliers["Masterled"].id]
    assert panel.status == pb.SUPPLIER_ORDER_STATUS_DRAFT
    assert [(x.sku, x.supplier_sku, x.quantity, x.unit_price.amount) for x in panel.lines] == [
        ("LED-PANEL-60", "ML000001", 7, "50.00")
    ]
    assert panel.expected_date == "2026-12-13"
    assert by_supplier[bulb.id].lines[0].sku == "LED-BULB-E27"
    assert service.tap.of(ev.SupplierOrderPlaced) == []  # drafts are not sent yet
    placed = await service.stub.ChangeSupplierOrderStatus(
        pb.ChangeSupplierOrderStatusRequest(
            supplier_order_id=panel.id, status=pb.SUPPLIER_ORDER_STATUS_PLACED
        )
    )
    assert placed.supplier_order.status == pb.SUPPLIER_ORDER_STATUS_PLACED
    (event,) = await service.events(
        ev.SupplierOrderPlaced, lambda m: m.supplier_order_id == panel.id
    )
    assert event.order_id == message.order_id
