"""Every conversion between inventory's protos and its domain and read objects: request
fields → domain values (bad shapes raise `ValidationFailed` naming the field), domain
→ response and event messages. Timestamps go through `cypher_runtime.proto_values`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from cypher.inventory.v1 import events_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher.suppliers.v1 import suppliers_pb2
from cypher_runtime.proto_values import optional_timestamp_pb, timestamp_pb
from inventory.domain.reconciliation import LedgerFigures
from inventory.domain.reservation import BackorderState, Released, ReleaseReason, Reservation
from inventory.domain.reservation import ReservationStatus as Status
from inventory.domain.stock import (
    Allocation,
    Line,
    LowStockCrossed,
    Movement,
    MovementKind,
    Receipt,
    StockMoved,
    StockView,
    Warehouse,
)
from inventory.errors import ValidationFailed
from inventory.queries import ReconcileReport, SkuStock

MAX_SKUS = 500

RESERVATION_STATUS: dict[Status, pb.ReservationStatus.ValueType] = {
    Status.PENDING: pb.RESERVATION_STATUS_PENDING,
    Status.CONFIRMED: pb.RESERVATION_STATUS_CONFIRMED,
    Status.PARTIALLY_COMMITTED: pb.RESERVATION_STATUS_PARTIALLY_COMMITTED,
    Status.COMMITTED: pb.RESERVATION_STATUS_COMMITTED,
    Status.RELEASED: pb.RESERVATION_STATUS_RELEASED,
    Status.EXPIRED: pb.RESERVATION_STATUS_EXPIRED,
}

MOVEMENT_TYPE: dict[MovementKind, pb.MovementType.ValueType] = {
    MovementKind.RECEIPT: pb.MOVEMENT_TYPE_RECEIPT,
    MovementKind.ADJUSTMENT: pb.MOVEMENT_TYPE_ADJUSTMENT,
    MovementKind.RESERVATION: pb.MOVEMENT_TYPE_RESERVATION,
    MovementKind.RELEASE: pb.MOVEMENT_TYPE_RELEASE,
    MovementKind.SHIPMENT: pb.MOVEMENT_TYPE_SHIPMENT,
    MovementKind.RETURN: pb.MOVEMENT_TYPE_RETURN,
    # The wire has one TRANSFER type; the sign of on_hand_delta tells out from in.
    MovementKind.TRANSFER_OUT: pb.MOVEMENT_TYPE_TRANSFER,
    MovementKind.TRANSFER_IN: pb.MOVEMENT_TYPE_TRANSFER,
}

RELEASE_REASON: dict[ReleaseReason, pb.ReleaseReason.ValueType] = {
    ReleaseReason.UNSPECIFIED: pb.RELEASE_REASON_UNSPECIFIED,
    ReleaseReason.ORDER_CANCELLED: pb.RELEASE_REASON_ORDER_CANCELLED,
    ReleaseReason.EXPIRED: pb.RELEASE_REASON_EXPIRED,
    ReleaseReason.COMPENSATION: pb.RELEASE_REASON_COMPENSATION,
    ReleaseReason.MANUAL: pb.RELEASE_REASON_MANUAL,
}
_RELEASE_REASON_OF = {v: k for k, v in RELEASE_REASON.items()}

_KINDS_OF_TYPE: dict[pb.MovementType.ValueType, tuple[MovementKind, ...]] = {}
for _kind, _type in MOVEMENT_TYPE.items():
    _KINDS_OF_TYPE[_type] = (*_KINDS_OF_TYPE.get(_type, ()), _kind)


class _QuantityLine(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...


# -- requests and consumed events → domain -------------------------------------------------


def lines(items: Iterable[_QuantityLine]) -> list[Line]:
    return [Line(item.sku, int(item.quantity)) for item in items]


def release_reason(value: pb.ReleaseReason.ValueType) -> ReleaseReason:
    return _RELEASE_REASON_OF.get(value, ReleaseReason.UNSPECIFIED)


def movement_kinds(value: pb.MovementType.ValueType) -> tuple[MovementKind, ...]:
    """The ledger kinds a movement type filter means (none = every kind)."""
    return _KINDS_OF_TYPE.get(value, ())


def skus(values: Sequence[str]) -> list[str]:
    if len(values) > MAX_SKUS:
        raise ValidationFailed({"skus": f"at most {MAX_SKUS} per call"})
    return list(values)


def announced_product(message: pricing_events.ProductUpserted) -> tuple[str, int]:
    """(sku, version) of a product pricing announced."""
    return message.product.sku, int(message.version or message.product.version)


def receipts(items: Iterable[suppliers_pb2.ReceivedLine], default_warehouse: str) -> list[Receipt]:
    """The lines of a supplier delivery; one without a warehouse goes to `default_warehouse`."""
    return [Receipt(i.sku, i.warehouse or default_warehouse, int(i.quantity)) for i in items]


# -- domain → responses --------------------------------------------------------------------


def allocation_pb(a: Allocation) -> pb.Allocation:
    return pb.Allocation(sku=a.sku, warehouse=a.warehouse, quantity=a.quantity)


def allocations_pb(res: Reservation) -> list[pb.Allocation]:
    return [
        pb.Allocation(
            sku=a.sku, warehouse=a.warehouse, quantity=a.quantity, committed_quantity=a.committed
        )
        for a in res.allocations
    ]


def backorder_pb(b: BackorderState) -> pb.Backorder:
    return pb.Backorder(
        sku=b.sku,
        quantity=b.quantity,
        expected_date=b.expected_date.isoformat(),
        fulfilled_quantity=b.fulfilled,
    )


def reservation_pb(res: Reservation) -> pb.Reservation:
    return pb.Reservation(
        id=res.id,
        order_id=res.order_id,
        status=RESERVATION_STATUS[res.status],
        allocations=allocations_pb(res),
        backorders=[backorder_pb(b) for b in res.backorders],
        created_at=timestamp_pb(res.created_at),
        expires_at=optional_timestamp_pb(res.expires_at),
        updated_at=optional_timestamp_pb(res.updated_at),
        version=res.version,
    )


def stock_level_pb(view: StockView) -> pb.StockLevel:
    return pb.StockLevel(
        sku=view.level.sku,
        warehouse=view.level.warehouse,
        on_hand=view.level.on_hand,
        reserved=view.level.reserved,
        available=view.level.available,
        low_stock_threshold=view.threshold,
        version=view.version,
        updated_at=optional_timestamp_pb(view.updated_at),
    )


def movement_pb(m: Movement) -> pb.Movement:
    return pb.Movement(
        id=str(m.id),
        sku=m.sku,
        warehouse=m.warehouse,
        type=MOVEMENT_TYPE[m.kind],
        on_hand_delta=m.on_hand_delta,
        reserved_delta=m.reserved_delta,
        on_hand_after=m.on_hand_after,
        reserved_after=m.reserved_after,
        reason=m.reason,
        reference=m.reference,
        actor=m.actor,
        occurred_at=timestamp_pb(m.occurred_at),
    )


def sku_availability_pb(item: SkuStock) -> pb.SkuAvailability:
    return pb.SkuAvailability(
        sku=item.sku,
        warehouses=[stock_level_pb(v) for v in item.warehouses],
        total_on_hand=item.on_hand,
        total_reserved=item.reserved,
        total_available=item.available,
    )


def warehouse_pb(w: Warehouse) -> pb.Warehouse:
    return pb.Warehouse(code=w.code, name=w.name, priority=w.priority, active=w.active)


def mismatch_pb(f: LedgerFigures, description: str) -> pb.StockMismatch:
    return pb.StockMismatch(
        sku=f.sku,
        warehouse=f.warehouse,
        recorded_on_hand=f.recorded_on_hand,
        ledger_on_hand=f.ledger_on_hand,
        recorded_reserved=f.recorded_reserved,
        reservations_reserved=f.reservations_reserved,
        ledger_reserved=f.ledger_reserved,
        description=description,
    )


def reconcile_response(report: ReconcileReport) -> pb.ReconcileResponse:
    return pb.ReconcileResponse(
        mismatches=[mismatch_pb(m.figures, m.description) for m in report.mismatches],
        checked_count=report.checked,
        checked_at=timestamp_pb(report.checked_at),
    )


# -- domain changes → published event messages ----------------------------------------------


def stock_changed_pb(change: StockMoved) -> events_pb2.InventoryStockChanged:
    level = change.level
    return events_pb2.InventoryStockChanged(
        sku=level.sku,
        warehouse=level.warehouse,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        total_available=change.total_available,
        movement_type=MOVEMENT_TYPE[change.kind],
        movement_id=str(change.movement_id),
        version=change.version,
        occurred_at=timestamp_pb(change.at),
        warehouse_version=change.warehouse_version,
    )


def low_stock_pb(change: LowStockCrossed) -> events_pb2.InventoryLowStock:
    return events_pb2.InventoryLowStock(
        sku=change.level.sku,
        warehouse=change.level.warehouse,
        available=change.level.available,
        threshold=change.threshold,
        total_available=change.total_available,
        version=change.version,
        occurred_at=timestamp_pb(change.at),
    )


def reserved_pb(res: Reservation, at: datetime) -> events_pb2.InventoryReserved:
    return events_pb2.InventoryReserved(
        reservation_id=res.id,
        order_id=res.order_id,
        allocations=allocations_pb(res),
        backorders=[backorder_pb(b) for b in res.backorders],
        status=RESERVATION_STATUS[res.status],
        version=res.version,
        occurred_at=timestamp_pb(at),
    )


def backordered_pb(res: Reservation, at: datetime) -> events_pb2.InventoryBackordered:
    return events_pb2.InventoryBackordered(
        reservation_id=res.id,
        order_id=res.order_id,
        backorders=[backorder_pb(b) for b in res.backorders],
        version=res.version,
        occurred_at=timestamp_pb(at),
    )


def released_pb(res: Reservation, change: Released, at: datetime) -> events_pb2.InventoryReleased:
    return events_pb2.InventoryReleased(
        reservation_id=res.id,
        order_id=res.order_id,
        released=[allocation_pb(a) for a in change.freed],
        reason=RELEASE_REASON[change.reason],
        reason_detail=change.detail,
        version=res.version,
        occurred_at=timestamp_pb(at),
    )
