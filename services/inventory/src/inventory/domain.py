"""Inventory rules: allocation by warehouse priority, reservations and their life cycle,
backorders, low-stock crossings and reconciliation. Pure: no I/O, no framework, no clock.

The service layer loads state under the right locks, asks these functions what to do,
and writes the result; the database (conditional updates + CHECK constraints) is the
last line of defence, not the place where the rules live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from inventory.errors import (
    ExceedsReserved,
    InsufficientStock,
    NegativeStock,
    NothingReserved,
    ReservationExpired,
    ReservationMismatch,
    ReservationReleased,
    SameWarehouse,
    ValidationFailed,
)

DEFAULT_LOW_STOCK_THRESHOLD = 3
DEFAULT_RESERVATION_TTL = timedelta(minutes=30)
DEFAULT_BACKORDER_LEAD = timedelta(days=10)


class ReservationStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    PARTIALLY_COMMITTED = "PARTIALLY_COMMITTED"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


# Statuses whose allocations still hold units in `stock.reserved`.
HOLDING = frozenset(
    {ReservationStatus.PENDING, ReservationStatus.CONFIRMED, ReservationStatus.PARTIALLY_COMMITTED}
)


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"


class ReleaseReason(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    EXPIRED = "EXPIRED"
    COMPENSATION = "COMPENSATION"
    MANUAL = "MANUAL"


class BackorderStatus(StrEnum):
    OPEN = "OPEN"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


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
class Line:
    sku: str
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


def backorder_expected_date(now: datetime, lead: timedelta = DEFAULT_BACKORDER_LEAD) -> date:
    return (now + lead).date()


# -- reservations ----------------------------------------------------------------------


@dataclass
class AllocationState:
    sku: str
    warehouse: str
    quantity: int
    committed: int = 0
    released: int = 0

    @property
    def remaining(self) -> int:
        """Units still held in stock.reserved for this allocation."""
        return self.quantity - self.committed - self.released


@dataclass
class BackorderState:
    id: int
    sku: str
    quantity: int
    expected_date: date
    fulfilled: int = 0
    status: BackorderStatus = BackorderStatus.OPEN

    @property
    def missing(self) -> int:
        return self.quantity - self.fulfilled if self.status == BackorderStatus.OPEN else 0


@dataclass
class Reservation:
    """The stock held for one order. Mutators return the stock changes the caller must
    apply (per sku×warehouse units); they never touch stock themselves."""

    id: str
    order_id: str
    status: ReservationStatus
    lines: tuple[Line, ...]
    created_at: datetime
    expires_at: datetime | None
    version: int = 1
    updated_at: datetime | None = None
    allocations: list[AllocationState] = field(default_factory=list)
    backorders: list[BackorderState] = field(default_factory=list)

    @property
    def holding(self) -> bool:
        return self.status in HOLDING

    def reserved_units(self) -> int:
        return sum(a.remaining for a in self.allocations)

    def allocation(self, sku: str, warehouse: str) -> AllocationState:
        for a in self.allocations:
            if a.sku == sku and a.warehouse == warehouse:
                return a
        created = AllocationState(sku, warehouse, 0)
        self.allocations.append(created)
        return created

    def _require_holding(self) -> None:
        if self.status == ReservationStatus.RELEASED:
            raise ReservationReleased(self.order_id)
        if self.status == ReservationStatus.EXPIRED:
            raise ReservationExpired(self.order_id)

    def replay(self, lines: Sequence[Line]) -> Reservation:
        """A repeated Reserve of this order: the same reservation when it asks for the
        same (canonical) lines and still holds; refused otherwise."""
        self._require_holding()
        if tuple(lines) != self.lines:
            raise ReservationMismatch(self.order_id)
        return self

    def is_expired(self, now: datetime) -> bool:
        return (
            self.status == ReservationStatus.PENDING
            and self.expires_at is not None
            and self.expires_at <= now
        )

    def confirm(self) -> bool:
        """PENDING → CONFIRMED (no longer expires). True when something changed."""
        self._require_holding()
        if self.status != ReservationStatus.PENDING:
            return False  # already confirmed or (partly) shipped: idempotent
        self.status = ReservationStatus.CONFIRMED
        self.expires_at = None
        self.version += 1
        return True

    def release(self, *, expired: bool = False) -> list[Allocation]:
        """Give back what is still held; cancel open backorders. Idempotent: a released
        reservation releases nothing (an empty list)."""
        if not self.holding:
            return []
        freed = [
            Allocation(a.sku, a.warehouse, a.remaining) for a in self.allocations if a.remaining
        ]
        for a in self.allocations:
            a.released += a.remaining
        for b in self.backorders:
            if b.status == BackorderStatus.OPEN:
                b.status = BackorderStatus.CANCELLED
        self.status = ReservationStatus.EXPIRED if expired else ReservationStatus.RELEASED
        self.expires_at = None
        self.version += 1
        return freed

    def commit(
        self, lines: Sequence[Line] | None, warehouses: Sequence[Warehouse]
    ) -> list[Allocation]:
        """Ship units: from each sku's allocations in warehouse priority order. `None` =
        everything still held. Raises when more is shipped than is held."""
        self._require_holding()
        if self.status == ReservationStatus.COMMITTED:
            raise NothingReserved(self.order_id)
        held: dict[str, int] = defaultdict(int)
        for a in self.allocations:
            held[a.sku] += a.remaining
        wanted = (
            {sku: qty for sku, qty in held.items() if qty > 0}
            if lines is None
            else {line.sku: line.quantity for line in lines}
        )
        if not wanted:
            raise NothingReserved(self.order_id)
        excess = {
            sku: qty - held.get(sku, 0) for sku, qty in wanted.items() if qty > held.get(sku, 0)
        }
        if excess:
            raise ExceedsReserved(excess)
        priority = {w.code: w.priority for w in warehouses}
        shipped: list[Allocation] = []
        for sku, qty in sorted(wanted.items()):
            remaining = qty
            for a in sorted(
                (a for a in self.allocations if a.sku == sku and a.remaining > 0),
                key=lambda a: priority.get(a.warehouse, 1_000_000),
            ):
                take = min(a.remaining, remaining)
                a.committed += take
                remaining -= take
                shipped.append(Allocation(sku, a.warehouse, take))
                if remaining == 0:
                    break
        open_backorders = any(b.missing for b in self.backorders)
        self.status = (
            ReservationStatus.COMMITTED
            if self.reserved_units() == 0 and not open_backorders
            else ReservationStatus.PARTIALLY_COMMITTED
        )
        self.expires_at = None  # shipping an order is the strongest confirmation there is
        self.version += 1
        return shipped

    def fill_backorder(self, backorder_id: int, warehouse: str, quantity: int) -> Allocation:
        """Reserve `quantity` received units in `warehouse` for an open backorder."""
        backorder = next(b for b in self.backorders if b.id == backorder_id)
        if quantity <= 0 or quantity > backorder.missing:
            raise ValueError(f"cannot fill {quantity} of backorder {backorder_id}")
        backorder.fulfilled += quantity
        if backorder.missing == 0:
            backorder.status = BackorderStatus.FULFILLED
        self.allocation(backorder.sku, warehouse).quantity += quantity
        if self.status == ReservationStatus.COMMITTED:
            self.status = ReservationStatus.PARTIALLY_COMMITTED
        self.version += 1
        return Allocation(backorder.sku, warehouse, quantity)


def reservation_expiry(
    now: datetime, requested_seconds: int | None, default: timedelta = DEFAULT_RESERVATION_TTL
) -> datetime:
    if requested_seconds is None:
        return now + default
    require_positive("expires_in_seconds", requested_seconds)
    return now + timedelta(seconds=requested_seconds)


def plan_backorder_fill(
    waiting: Sequence[tuple[Reservation, BackorderState]], available: int
) -> list[tuple[Reservation, BackorderState, int]]:
    """Hand `available` units to waiting backorders in the given (first come) order."""
    plan: list[tuple[Reservation, BackorderState, int]] = []
    for reservation, backorder in waiting:
        if available <= 0:
            break
        if not reservation.holding or backorder.missing <= 0:
            continue
        take = min(available, backorder.missing)
        plan.append((reservation, backorder, take))
        available -= take
    return plan


def plan_return(
    reservation: Reservation | None,
    lines: Sequence[Line],
    warehouses: Sequence[Warehouse],
) -> list[Allocation]:
    """Where returned units go back: to the warehouses they were shipped from (in
    priority order, up to what was shipped from each), the rest to the first warehouse."""
    active = sorted((w for w in warehouses if w.active), key=lambda w: w.priority)
    if not active:
        raise ValueError("no active warehouse to restock into")
    priority = {w.code: w.priority for w in warehouses}
    home = active[0].code
    result: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        remaining = line.quantity
        shipped_from = (
            sorted(
                (a for a in reservation.allocations if a.sku == line.sku and a.committed > 0),
                key=lambda a: priority.get(a.warehouse, 1_000_000),
            )
            if reservation is not None
            else []
        )
        for a in shipped_from:
            take = min(a.committed, remaining)
            if take:
                result[(line.sku, a.warehouse)] += take
                remaining -= take
        if remaining:
            result[(line.sku, home)] += remaining
    return [Allocation(sku, wh, qty) for (sku, wh), qty in sorted(result.items())]


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


# -- reconciliation ---------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFigures:
    sku: str
    warehouse: str
    recorded_on_hand: int
    recorded_reserved: int
    ledger_on_hand: int
    ledger_reserved: int
    reservations_reserved: int


def reconcile(rows: Iterable[LedgerFigures]) -> list[tuple[LedgerFigures, str]]:
    """Every sku×warehouse whose recorded stock disagrees with the ledger or with the
    units held by active reservations, with a human description."""
    mismatches: list[tuple[LedgerFigures, str]] = []
    for r in rows:
        problems: list[str] = []
        if r.recorded_on_hand != r.ledger_on_hand:
            problems.append(f"on_hand {r.recorded_on_hand} but ledger says {r.ledger_on_hand}")
        if r.recorded_reserved != r.ledger_reserved:
            problems.append(f"reserved {r.recorded_reserved} but ledger says {r.ledger_reserved}")
        if r.recorded_reserved != r.reservations_reserved:
            problems.append(
                f"reserved {r.recorded_reserved} but reservations hold {r.reservations_reserved}"
            )
        if problems:
            mismatches.append((r, "; ".join(problems)))
    return mismatches
