"""The reservation of one order: the units it holds per sku × warehouse, its backorders
and its life cycle (PENDING → CONFIRMED → (PARTIALLY_)COMMITTED, or RELEASED / EXPIRED).
Mutators return the stock changes the caller must apply and record what happened in
`changes` (`Reserved`, `Backordered`, `Released`), which `events.py` publishes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from inventory.domain.stock import Allocation, AllocationPlan, Line, Warehouse, require_positive
from inventory.errors import (
    ExceedsReserved,
    NothingReserved,
    ReservationExpired,
    ReservationMismatch,
    ReservationReleased,
)

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
class Reserved:
    """Units were allocated (placed, or a backorder filled): announce what it holds."""


@dataclass(frozen=True)
class Backordered:
    """Backorders were opened for what could not be reserved."""


@dataclass(frozen=True)
class Released:
    freed: tuple[Allocation, ...]
    reason: ReleaseReason
    detail: str


ReservationChange = Reserved | Backordered | Released


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
    id: int | None  # None until stored
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
    changes: list[ReservationChange] = field(default_factory=list, compare=False, repr=False)

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

    def hold(self, plan: AllocationPlan, expected: date) -> None:
        """Take the plan's units and open a backorder for each sku it fell short of."""
        for a in plan.allocations:
            self.allocation(a.sku, a.warehouse).quantity += a.quantity
        for sku, missing in sorted(plan.shortfall.items()):
            self.backorders.append(BackorderState(None, sku, missing, expected))
        self.changes.append(Reserved())
        if plan.shortfall:
            self.changes.append(Backordered())

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

    def release(
        self, reason: ReleaseReason = ReleaseReason.MANUAL, detail: str = ""
    ) -> list[Allocation]:
        """Give back what is still held; cancel open backorders. Idempotent: a released
        reservation releases nothing (an empty list). EXPIRED when `reason` says so."""
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
        self.status = (
            ReservationStatus.EXPIRED
            if reason == ReleaseReason.EXPIRED
            else ReservationStatus.RELEASED
        )
        self.expires_at = None
        self.version += 1
        self.changes.append(Released(tuple(freed), reason, detail))
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

    def fill_backorder(self, backorder_id: int | None, warehouse: str, quantity: int) -> Allocation:
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
        self.changes.append(Reserved())
        return Allocation(backorder.sku, warehouse, quantity)


def reservation_expiry(
    now: datetime, requested_seconds: int | None, default: timedelta = DEFAULT_RESERVATION_TTL
) -> datetime:
    if requested_seconds is None:
        return now + default
    require_positive("expires_in_seconds", requested_seconds)
    return now + timedelta(seconds=requested_seconds)


def backorder_expected_date(now: datetime, lead: timedelta = DEFAULT_BACKORDER_LEAD) -> date:
    return (now + lead).date()


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
