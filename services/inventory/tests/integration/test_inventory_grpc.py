"""The inventory gRPC API on a real database and broker: reservations, stock movements,
their errors, pagination, low stock and the events they publish."""

from __future__ import annotations

import uuid

import grpc
import pytest

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import events_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from cypher_runtime.grpc_errors import RemoteError, error_from_rpc
from services.inventory.tests.integration.inventory_harness import Running


def sku() -> str:
    return f"LED-{uuid.uuid4().hex[:8]}"


def order() -> str:
    return str(uuid.uuid4())


async def failure(call: object) -> RemoteError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call  # type: ignore[misc]
    return error_from_rpc(err.value)


def line(s: str, q: int) -> pb.StockLine:
    return pb.StockLine(sku=s, quantity=q)


async def test_warehouses_are_seeded_by_priority(service: Running) -> None:
    response = await service.stub.ListWarehouses(pb.ListWarehousesRequest())
    assert [(w.code, w.priority) for w in response.warehouses] == [("A", 1), ("B", 2), ("C", 3)]


async def test_reserve_splits_across_warehouses_by_priority(service: Running) -> None:
    s = sku()
    for wh, qty in (("C", 10), ("A", 3), ("B", 4)):
        await service.receive(s, wh, qty)
    response = await service.stub.Reserve(pb.ReserveRequest(order_id=order(), lines=[line(s, 9)]))
    res = response.reservation
    assert [(a.warehouse, a.quantity) for a in res.allocations] == [("A", 3), ("B", 4), ("C", 2)]
    assert res.status == pb.RESERVATION_STATUS_PENDING
    assert res.HasField("expires_at")
    item = await service.availability(s)
    assert (item.total_on_hand, item.total_reserved, item.total_available) == (17, 9, 8)
    assert [(w.warehouse, w.available) for w in item.warehouses] == [("A", 0), ("B", 0), ("C", 8)]


async def test_unknown_sku_has_zero_availability(service: Running) -> None:
    item = await service.availability("NOPE-1")
    assert (item.sku, item.total_available, len(item.warehouses)) == ("NOPE-1", 0, 0)


async def test_insufficient_stock_reports_shortfall_and_changes_nothing(service: Running) -> None:
    a, b = sku(), sku()
    await service.receive(a, "A", 5)
    await service.receive(b, "B", 2)
    err = await failure(
        service.stub.Reserve(pb.ReserveRequest(order_id=order(), lines=[line(a, 5), line(b, 3)]))
    )
    assert err.status == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert err.code == "INSUFFICIENT_STOCK"
    assert err.details == {"shortfall": {b: 1}}
    assert (await service.availability(a)).total_reserved == 0
    assert (await service.availability(b)).total_reserved == 0


async def test_reserve_is_idempotent_by_order_id(service: Running) -> None:
    s, oid = sku(), order()
    await service.receive(s, "A", 10)
    request = pb.ReserveRequest(order_id=oid, lines=[line(s, 2), line(s, 1)])
    first = await service.stub.Reserve(request)
    again = await service.stub.Reserve(pb.ReserveRequest(order_id=oid, lines=[line(s, 3)]))
    assert again.replayed
    assert not first.replayed
    assert again.reservation.id == first.reservation.id
    assert (await service.availability(s)).total_reserved == 3
    err = await failure(service.stub.Reserve(pb.ReserveRequest(order_id=oid, lines=[line(s, 4)])))
    assert (err.status, err.code) == (grpc.StatusCode.ABORTED, "RESERVATION_MISMATCH")


async def test_backorder_reserves_what_exists_and_a_receipt_completes_it(
    service: Running,
) -> None:
    s, oid = sku(), order()
    await service.receive(s, "B", 2)
    response = await service.stub.Reserve(
        pb.ReserveRequest(order_id=oid, lines=[line(s, 5)], allow_backorder=True)
    )
    res = response.reservation
    assert [(a.warehouse, a.quantity) for a in res.allocations] == [("B", 2)]
    assert [(b.sku, b.quantity) for b in res.backorders] == [(s, 3)]
    expected = service.clock.now().date().toordinal() + 10
    assert (
        res.backorders[0].expected_date
        == type(service.clock.now().date()).fromordinal(expected).isoformat()
    )
    await service.events(events_pb2.InventoryBackordered, lambda e: e.order_id == oid)
    await service.receive(s, "A", 4)
    after = (await service.stub.GetReservation(pb.GetReservationRequest(order_id=oid))).reservation
    assert sorted((a.warehouse, a.quantity) for a in after.allocations) == [("A", 3), ("B", 2)]
    assert after.backorders[0].fulfilled_quantity == 3
    item = await service.availability(s)
    assert (item.total_on_hand, item.total_reserved) == (6, 5)


async def test_release_is_idempotent_and_leaves_a_tombstone(service: Running) -> None:
    s, oid = sku(), order()
    await service.receive(s, "A", 4)
    await service.stub.Reserve(pb.ReserveRequest(order_id=oid, lines=[line(s, 3)]))
    first = await service.stub.Release(
        pb.ReleaseRequest(order_id=oid, reason=pb.RELEASE_REASON_COMPENSATION)
    )
    second = await service.stub.Release(pb.ReleaseRequest(order_id=oid))
    assert first.released
    assert not second.released
    assert first.reservation.status == pb.RESERVATION_STATUS_RELEASED
    assert (await service.availability(s)).total_reserved == 0
    err = await failure(service.stub.Reserve(pb.ReserveRequest(order_id=oid, lines=[line(s, 3)])))
    assert (err.status, err.code) == (grpc.StatusCode.FAILED_PRECONDITION, "RESERVATION_RELEASED")
    ghost = order()
    none = await service.stub.Release(pb.ReleaseRequest(order_id=ghost))
    assert not none.released
    assert not none.HasField("reservation")
    late = await failure(
        service.stub.Reserve(pb.ReserveRequest(order_id=ghost, lines=[line(s, 1)]))
    )
    assert late.code == "RESERVATION_RELEASED"
    assert (await service.availability(s)).total_reserved == 0


async def test_partial_commits_are_idempotent_by_shipment(service: Running) -> None:
    s, oid = sku(), order()
    await service.receive(s, "A", 2)
    await service.receive(s, "B", 5)
    await service.stub.Reserve(pb.ReserveRequest(order_id=oid, lines=[line(s, 6)]))
    first = await service.stub.Commit(
        pb.CommitRequest(order_id=oid, shipment_id="S1", lines=[line(s, 3)])
    )
    assert first.reservation.status == pb.RESERVATION_STATUS_PARTIALLY_COMMITTED
    assert [(m.warehouse, m.on_hand_delta) for m in first.movements] == [("A", -2), ("B", -1)]
    replay = await service.stub.Commit(
        pb.CommitRequest(order_id=oid, shipment_id="S1", lines=[line(s, 3)])
    )
    assert [m.id for m in replay.movements] == [m.id for m in first.movements]
    too_much = await failure(
        service.stub.Commit(pb.CommitRequest(order_id=oid, shipment_id="S2", lines=[line(s, 4)]))
    )
    assert too_much.status == grpc.StatusCode.INVALID_ARGUMENT
    rest = await service.stub.Commit(pb.CommitRequest(order_id=oid, shipment_id="S3"))
    assert rest.reservation.status == pb.RESERVATION_STATUS_COMMITTED
    item = await service.availability(s)
    assert (item.total_on_hand, item.total_reserved, item.total_available) == (1, 0, 1)


async def test_adjustments_and_transfers_validate_and_change_nothing_when_refused(
    service: Running,
) -> None:
    s = sku()
    await service.receive(s, "A", 5)
    await service.stub.Reserve(pb.ReserveRequest(order_id=order(), lines=[line(s, 3)]))

    unknown = await failure(
        service.stub.Adjust(pb.AdjustRequest(sku="GHOST", warehouse="A", delta=1, reason="x"))
    )
    assert (unknown.status, unknown.code) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "PRODUCT_UNKNOWN_YET",
    )
    unstocked = sku()
    await service.catalogue(unstocked)
    nothing = await failure(
        service.stub.Adjust(pb.AdjustRequest(sku=unstocked, warehouse="A", delta=1, reason="x"))
    )
    assert (nothing.status, nothing.code) == (grpc.StatusCode.NOT_FOUND, "UNKNOWN_SKU")
    bad_wh = await failure(service.receive(s, "Z", 1))
    assert (bad_wh.status, bad_wh.code) == (grpc.StatusCode.NOT_FOUND, "UNKNOWN_WAREHOUSE")
    negative = await failure(
        service.stub.Adjust(pb.AdjustRequest(sku=s, warehouse="A", delta=-3, reason="broken"))
    )
    assert (negative.status, negative.code) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "NEGATIVE_STOCK",
    )
    no_reason = await failure(
        service.stub.Adjust(pb.AdjustRequest(sku=s, warehouse="A", delta=-1, reason=" "))
    )
    assert no_reason.status == grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in no_reason.details["fields"]
    zero = await failure(service.receive(s, "A", 0))
    assert zero.details["fields"] == {"quantity": "must be greater than 0"}
    same = await failure(
        service.stub.Transfer(
            pb.TransferRequest(sku=s, from_warehouse="A", to_warehouse="A", quantity=1)
        )
    )
    assert (same.status, same.code) == (grpc.StatusCode.INVALID_ARGUMENT, "SAME_WAREHOUSE")
    short = await failure(
        service.stub.Transfer(
            pb.TransferRequest(sku=s, from_warehouse="A", to_warehouse="C", quantity=3)
        )
    )
    assert (short.status, short.code) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "INSUFFICIENT_STOCK")
    item = await service.availability(s)
    assert [(w.warehouse, w.on_hand, w.reserved) for w in item.warehouses] == [("A", 5, 3)]

    moved = await service.stub.Transfer(
        pb.TransferRequest(sku=s, from_warehouse="A", to_warehouse="C", quantity=2)
    )
    assert (moved.from_stock.on_hand, moved.to_stock.on_hand) == (3, 2)
    adjusted = await service.stub.Adjust(
        pb.AdjustRequest(sku=s, warehouse="C", delta=-1, reason="damaged")
    )
    assert adjusted.stock.on_hand == 1
    assert adjusted.movement.reason == "damaged"


async def test_movements_are_paginated_newest_first_with_opaque_cursor(service: Running) -> None:
    s = sku()
    for _ in range(5):
        await service.receive(s, "A", 1)
    seen: list[str] = []
    cursor = ""
    while True:
        page = await service.stub.ListMovements(
            pb.ListMovementsRequest(sku=s, page=pagination_pb2.PageRequest(limit=2, cursor=cursor))
        )
        seen.extend(m.id for m in page.movements)
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert len(seen) == 5
    assert [int(i) for i in seen] == sorted((int(i) for i in seen), reverse=True)
    bad = await failure(
        service.stub.ListMovements(
            pb.ListMovementsRequest(sku=s, page=pagination_pb2.PageRequest(cursor="%%%"))
        )
    )
    assert bad.status == grpc.StatusCode.INVALID_ARGUMENT


async def test_low_stock_alerts_once_per_crossing(service: Running) -> None:
    s = sku()
    await service.receive(s, "A", 5)
    for _ in range(3):  # 5 → 4 → 3 → 2: one crossing (below 3)
        await service.stub.Adjust(pb.AdjustRequest(sku=s, warehouse="A", delta=-1, reason="count"))
    await service.stub.Adjust(pb.AdjustRequest(sku=s, warehouse="A", delta=-1, reason="count"))
    await service.stub.Adjust(pb.AdjustRequest(sku=s, warehouse="A", delta=3, reason="found"))
    await service.stub.Adjust(pb.AdjustRequest(sku=s, warehouse="A", delta=-2, reason="count"))

    found = await service.events(events_pb2.InventoryLowStock, lambda e: e.sku == s, count=2)
    assert [(e.available, e.threshold) for e in found] == [(2, 3), (2, 3)]
    low = await service.stub.ListLowStock(pb.ListLowStockRequest(warehouse="A"))
    assert s in {i.sku for i in low.items}
    changed = await service.stub.SetLowStockThreshold(
        pb.SetLowStockThresholdRequest(sku=s, warehouse="A", threshold=1)
    )
    assert changed.stock.low_stock_threshold == 1
    low = await service.stub.ListLowStock(pb.ListLowStockRequest(warehouse="A"))
    assert s not in {i.sku for i in low.items}


async def test_stock_changed_events_carry_increasing_sku_versions(service: Running) -> None:
    s = sku()
    await service.receive(s, "A", 5)
    await service.receive(s, "B", 5)
    await service.stub.Reserve(pb.ReserveRequest(order_id=order(), lines=[line(s, 7)]))

    found = await service.events(events_pb2.InventoryStockChanged, lambda e: e.sku == s, count=4)
    assert len(found) == 4
    assert sorted(e.version for e in found) == [1, 2, 3, 4]
    last = max(found, key=lambda e: e.version)
    assert last.total_available == 3


async def test_availability_of_many_skus_keeps_the_request_order(service: Running) -> None:
    a, b = sku(), sku()
    await service.receive(a, "B", 2)
    await service.receive(b, "A", 7)
    reply = await service.stub.GetAvailability(pb.GetAvailabilityRequest(skus=[b, "NONE-9", a]))
    assert [(i.sku, i.total_available) for i in reply.items] == [(b, 7), ("NONE-9", 0), (a, 2)]


async def test_invalid_reserve_names_the_field_and_changes_nothing(service: Running) -> None:
    s = sku()
    await service.receive(s, "A", 5)
    oid = order()
    err = await failure(
        service.stub.Reserve(pb.ReserveRequest(order_id=oid, lines=[line(s, 2), line(s, -1)]))
    )
    assert err.status == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details["fields"] == {"lines[1].quantity": "must be greater than 0"}
    missing = await failure(service.stub.GetReservation(pb.GetReservationRequest(order_id=oid)))
    assert (missing.status, missing.code) == (grpc.StatusCode.NOT_FOUND, "RESERVATION_NOT_FOUND")
    assert (await service.availability(s)).total_reserved == 0


async def test_low_stock_list_pages_and_threshold_resets_to_default(service: Running) -> None:
    skus = sorted(sku() for _ in range(3))
    for s in skus:
        await service.receive(s, "C", 1)
    seen: list[str] = []
    cursor = ""
    while True:
        page = await service.stub.ListLowStock(
            pb.ListLowStockRequest(
                warehouse="C", page=pagination_pb2.PageRequest(limit=1, cursor=cursor)
            )
        )
        seen.extend(i.sku for i in page.items)
        cursor = page.page.next_cursor
        if not cursor:
            break
    assert [s for s in seen if s in skus] == skus
    custom = await service.stub.SetLowStockThreshold(
        pb.SetLowStockThresholdRequest(sku=skus[0], warehouse="C", threshold=0)
    )
    assert custom.stock.low_stock_threshold == 0
    reset = await service.stub.SetLowStockThreshold(
        pb.SetLowStockThresholdRequest(sku=skus[0], warehouse="C")
    )
    assert reset.stock.low_stock_threshold == 3
