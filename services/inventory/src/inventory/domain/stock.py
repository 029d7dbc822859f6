"""Stock of a sku in the warehouses: levels, the allocation rule (warehouse priority),
manual changes (adjustment, transfer), low-stock crossings, and the records a stock
change leaves (`Movement`, and the `StockMoved` / `LowStockCrossed` changes that
`events.py` publishes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from inventory.errors import InsufficientStock, NegativeStock, SameWarehouse, ValidationFailed

DEFAULT_LOW_STOCK_THRESHOLD = 3


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"


@dataclass(frozen=True)
class Warehouse:
    code: str
    name: str
    priority: int
    active: bool = True


@dataclass(frozen=True)
class StockLevel:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    threshold: int | None = None  # per sku×warehouse override; None = the default

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class StockView:
    """A stock row as callers see it: figures, effective threshold, sku version."""

    level: StockLevel
    threshold: int
    version: int
    updated_at: datetime | None


@dataclass(frozen=True)
class Movement:
    """One row of the ledger: what changed, the figures after it, who and why."""

    id: int
    sku: str
    warehouse: str
    kind: MovementKind
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int
    reserved_after: int
    reason: str
    reference: str
    actor: str
    occurred_at: datetime


@dataclass(frozen=True)
class StockMoved:
    """A stock row changed (→ inventory.stock_changed). `version` is the sku's version,
    `warehouse_version` the row's; `total_available` counts every warehouse."""

    level: StockLevel
    total_available: int
    kind: MovementKind
    movement_id: int
    version: int
    warehouse_version: int
    at: datetime


@dataclass(frozen=True)
class LowStockCrossed:
    """A row fell below its threshold (→ inventory.low_stock)."""

    level: StockLevel
    threshold: int
    total_available: int
    version: int
    at: datetime


StockChange = StockMoved | LowStockCrossed


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Receipt:
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class Allocation:
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class AllocationPlan:
    allocations: tuple[Allocation, ...]
    # sku → units that could not be reserved (only ever non-empty with allow_backorder).
    shortfall: Mapping[str, int]


# -- input -----------------------------------------------------------------------------


def require_positive(field_name: str, value: int) -> None:
    if value <= 0:
        raise ValidationFailed({field_name: "must be greater than 0"})


def require_text(field_name: str, value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValidationFailed({field_name: "is required"})
    return stripped


def normalize_lines(lines: Sequence[Line], field_name: str = "lines") -> tuple[Line, ...]:
    """Validate and merge repeated skus, sorted by sku: the canonical form that makes
    a replayed request comparable and locks acquirable in one fixed order."""
    if not lines:
        raise ValidationFailed({field_name: "at least one line is required"})
    problems: dict[str, str] = {}
    merged: dict[str, int] = defaultdict(int)
    for i, line in enumerate(lines):
        if not line.sku.strip():
            problems[f"{field_name}[{i}].sku"] = "is required"
        if line.quantity <= 0:
            problems[f"{field_name}[{i}].quantity"] = "must be greater than 0"
        merged[line.sku.strip()] += line.quantity
    if problems:
        raise ValidationFailed(problems)
    return tuple(Line(sku, qty) for sku, qty in sorted(merged.items()))


# -- allocation --------------------------------------------------------------------------


def by_priority(levels: Iterable[StockLevel], warehouses: Sequence[Warehouse]) -> list[StockLevel]:
    """Stock rows of active warehouses, highest priority (lowest number) first."""
    priority = {w.code: w.priority for w in warehouses if w.active}
    return sorted(
        (lv for lv in levels if lv.warehouse in priority), key=lambda lv: priority[lv.warehouse]
    )


def allocate(
    lines: Sequence[Line],
    stock: Mapping[str, Sequence[StockLevel]],
    warehouses: Sequence[Warehouse],
    *,
    allow_backorder: bool,
) -> AllocationPlan:
    """Fill each line from the highest-priority warehouse with available units, splitting
    across warehouses. All-or-nothing unless `allow_backorder`, where the rest is short."""
    allocations: list[Allocation] = []
    shortfall: dict[str, int] = {}
    for line in lines:
        remaining = line.quantity
        for level in by_priority(stock.get(line.sku, ()), warehouses):
            if remaining == 0:
                break
            take = min(level.available, remaining)
            if take > 0:
                allocations.append(Allocation(line.sku, level.warehouse, take))
                remaining -= take
        if remaining > 0:
            shortfall[line.sku] = remaining
    if shortfall and not allow_backorder:
        raise InsufficientStock(shortfall)
    return AllocationPlan(tuple(allocations), shortfall)


# -- manual stock changes ------------------------------------------------------------------


def check_adjustment(level: StockLevel, delta: int) -> None:
    """on_hand may not drop below 0 nor below what is reserved."""
    if delta == 0:
        raise ValidationFailed({"delta": "must not be 0"})
    if level.on_hand + delta < level.reserved or level.on_hand + delta < 0:
        raise NegativeStock(level.sku, level.warehouse, level.on_hand, level.reserved, delta)


def check_transfer(source: StockLevel | None, sku: str, to_warehouse: str, quantity: int) -> None:
    require_positive("quantity", quantity)
    if source is not None and source.warehouse == to_warehouse:
        raise SameWarehouse(to_warehouse)
    available = source.available if source is not None else 0
    if available < quantity:
        raise InsufficientStock({sku: quantity - available})


# -- low stock ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LowStockTransition:
    armed: bool  # True while available ≥ threshold: the next fall below alerts
    alert: bool  # emit inventory.low_stock now


def low_stock_transition(armed: bool, available: int, threshold: int) -> LowStockTransition:
    """One alert per crossing: alert when an armed row falls below the threshold, re-arm
    when it is back at or above it."""
    if available < threshold:
        return LowStockTransition(armed=False, alert=armed)
    return LowStockTransition(armed=True, alert=False)
