"""Stock, movements, warehouses and reconciliation (inventory service)."""

from __future__ import annotations

from pydantic import Field

from cypher.inventory.v1 import inventory_pb2
from gateway.convert import time_of
from gateway.views.common import Out, Time


def movement_type_name(value: int) -> str:
    return inventory_pb2.MovementType.Name(value).removeprefix("MOVEMENT_TYPE_").lower()  # type: ignore[arg-type]


class StockLevel(Out):
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    version: int
    updated_at: Time | None


class StockTotals(Out):
    on_hand: int
    reserved: int
    available: int


class Availability(Out):
    sku: str
    warehouses: list[StockLevel]
    totals: StockTotals


class Movement(Out):
    id: str
    sku: str
    warehouse: str
    type: str = Field(description="receipt, adjustment, transfer_in, … (lower case)")
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int
    reserved_after: int
    reason: str
    reference: str
    actor: str
    occurred_at: Time | None


class Warehouse(Out):
    code: str
    name: str
    priority: int
    active: bool


class StockChange(Out):
    """A receipt or an adjustment: the stock row after it and its ledger movement."""

    stock: StockLevel
    movement: Movement


class TransferResult(Out):
    from_: StockLevel = Field(alias="from")
    to: StockLevel
    movements: list[Movement]


class Mismatch(Out):
    sku: str
    warehouse: str
    recorded_on_hand: int
    ledger_on_hand: int
    recorded_reserved: int
    ledger_reserved: int
    reservations_reserved: int
    description: str


class Reconciliation(Out):
    checked: int
    checked_at: Time | None
    mismatches: list[Mismatch]


def stock_view(level: inventory_pb2.StockLevel) -> StockLevel:
    return StockLevel(
        sku=level.sku,
        warehouse=level.warehouse,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        low_stock_threshold=level.low_stock_threshold,
        version=level.version,
        updated_at=time_of(level, "updated_at"),
    )


def availability_view(item: inventory_pb2.SkuAvailability) -> Availability:
    return Availability(
        sku=item.sku,
        warehouses=[stock_view(w) for w in item.warehouses],
        totals=StockTotals(
            on_hand=item.total_on_hand,
            reserved=item.total_reserved,
            available=item.total_available,
        ),
    )


def movement_view(m: inventory_pb2.Movement) -> Movement:
    return Movement(
        id=m.id,
        sku=m.sku,
        warehouse=m.warehouse,
        type=movement_type_name(m.type),
        on_hand_delta=m.on_hand_delta,
        reserved_delta=m.reserved_delta,
        on_hand_after=m.on_hand_after,
        reserved_after=m.reserved_after,
        reason=m.reason,
        reference=m.reference,
        actor=m.actor,
        occurred_at=time_of(m, "occurred_at"),
    )


def warehouse_view(w: inventory_pb2.Warehouse) -> Warehouse:
    return Warehouse(code=w.code, name=w.name, priority=w.priority, active=w.active)


def reconciliation_view(reply: inventory_pb2.ReconcileResponse) -> Reconciliation:
    return Reconciliation(
        checked=reply.checked_count,
        checked_at=time_of(reply, "checked_at"),
        mismatches=[
            Mismatch(
                sku=m.sku,
                warehouse=m.warehouse,
                recorded_on_hand=m.recorded_on_hand,
                ledger_on_hand=m.ledger_on_hand,
                recorded_reserved=m.recorded_reserved,
                ledger_reserved=m.ledger_reserved,
                reservations_reserved=m.reservations_reserved,
                description=m.description,
            )
            for m in reply.mismatches
        ],
    )
