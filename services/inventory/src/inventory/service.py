"""Inventory use cases. Each opens a unit of work (or joins the consumer's one: the
`*_in(uow, …)` forms), loads what it needs under the locking rule of `ledger`, asks the
domain what to do, writes the result and the outbox events, and commits."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, literal, select, text, tuple_

from cypher.inventory.v1 import events_pb2, inventory_pb2
from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, UnitOfWork
from cypher_runtime.messaging.envelope import Event
from inventory import db as tables
from inventory.domain import (
    DEFAULT_BACKORDER_LEAD,
    DEFAULT_LOW_STOCK_THRESHOLD,
    DEFAULT_RESERVATION_TTL,
    HOLDING,
    Allocation,
    LedgerFigures,
    Line,
    MovementKind,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    StockLevel,
    Warehouse,
    allocate,
    backorder_expected_date,
    check_adjustment,
    check_transfer,
    normalize_lines,
    plan_backorder_fill,
    plan_return,
    reconcile,
    require_positive,
    require_text,
    reservation_expiry,
)
from inventory.errors import (
    ReservationNotFound,
    SameWarehouse,
    UnknownWarehouse,
    ValidationFailed,
)
from inventory.ledger import MovementRecord, StockSession, StockView
from inventory.wire import RELEASE_REASON, RESERVATION_STATUS, timestamp

DEFAULT_PAGE = 50
MAX_PAGE = 200


@dataclass(frozen=True)
class Policy:
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD
    reservation_ttl: timedelta = DEFAULT_RESERVATION_TTL
    backorder_lead: timedelta = DEFAULT_BACKORDER_LEAD


@dataclass(frozen=True)
class ReserveResult:
    reservation: Reservation
    replayed: bool


@dataclass(frozen=True)
class ReleaseResult:
    reservation: Reservation | None
    released: bool


@dataclass(frozen=True)
class CommitResult:
    reservation: Reservation
    movements: list[MovementRecord]


@dataclass(frozen=True)
class Receipt:
    sku: str
    warehouse: str
    quantity: int


@dataclass(frozen=True)
class StockChange:
    stock: StockView
    movement: MovementRecord


@dataclass(frozen=True)
class TransferResult:
    source: StockView
    target: StockView
    movements: list[MovementRecord]


@dataclass(frozen=True)
class SkuStock:
    sku: str
    warehouses: list[StockView]

    @property
    def on_hand(self) -> int:
        return sum(v.level.on_hand for v in self.warehouses)

    @property
    def reserved(self) -> int:
        return sum(v.level.reserved for v in self.warehouses)

    @property
    def available(self) -> int:
        return sum(v.level.available for v in self.warehouses)


@dataclass(frozen=True)
class Mismatch:
    figures: LedgerFigures
    description: str


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    checked_at: datetime
    mismatches: list[Mismatch] = field(default_factory=list)


def page_limit(limit: int) -> int:
    if limit < 0:
        raise ValidationFailed({"page.limit": "must not be negative"})
    return min(limit or DEFAULT_PAGE, MAX_PAGE)


class Inventory:
    def __init__(self, db: Database, clock: Clock, policy: Policy | None = None) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy or Policy()
        self._warehouses: tuple[float, list[Warehouse]] | None = None

    # -- helpers -----------------------------------------------------------------------
    def _stock(self, uow: UnitOfWork, now: datetime) -> StockSession:
        return StockSession(uow, now=now, default_threshold=self.policy.low_stock_threshold)

    async def warehouses(self, uow: UnitOfWork) -> list[Warehouse]:
        # Warehouses change by migration or by hand, rarely: a short cache saves a query
        # on every reservation without making a change wait for a restart.
        cached = self._warehouses
        if cached is not None and time.monotonic() - cached[0] < 10.0:
            return cached[1]
        found = await tables.list_warehouses(uow.session)
        self._warehouses = (time.monotonic(), found)
        return found

    async def _require_warehouse(self, uow: UnitOfWork, code: str, field_name: str) -> str:
        code = require_text(field_name, code).upper()
        if code not in {w.code for w in await self.warehouses(uow)}:
            raise UnknownWarehouse(code)
        return code

    def _publish_reserved(self, uow: UnitOfWork, res: Reservation, now: datetime) -> None:
        uow.publish(
            Event(
                events_pb2.InventoryReserved(
                    reservation_id=res.id,
                    order_id=res.order_id,
                    allocations=_allocations_pb(res),
                    backorders=_backorders_pb(res),
                    status=RESERVATION_STATUS[res.status],
                    version=res.version,
                    occurred_at=timestamp(now),
                ),
                aggregate_type="reservation",
                aggregate_id=res.order_id,
                version=res.version,
                occurred_at=now,
            )
        )

    # -- queries -------------------------------------------------------------------------
    async def availability(self, skus: Sequence[str]) -> list[SkuStock]:
        wanted = [s.strip() for s in skus]
        async with self.db.unit_of_work() as uow:
            priority = {w.code: w.priority for w in await self.warehouses(uow)}
            rows = (
                await uow.session.execute(
                    select(tables.stock, tables.skus.c.version.label("sku_version"))
                    .join(tables.skus, tables.skus.c.sku == tables.stock.c.sku)
                    .where(tables.stock.c.sku.in_(set(wanted)))
                )
            ).all()
        views: dict[str, list[StockView]] = {}
        for r in sorted(rows, key=lambda r: (r.sku, priority.get(r.warehouse, 1_000_000))):
            level = StockLevel(r.sku, r.warehouse, r.on_hand, r.reserved, r.low_stock_threshold)
            views.setdefault(r.sku, []).append(
                StockView(level, self._threshold(level), r.sku_version, r.updated_at)
            )
        return [SkuStock(sku, views.get(sku, [])) for sku in wanted]

    def _threshold(self, level: StockLevel) -> int:
        return level.threshold if level.threshold is not None else self.policy.low_stock_threshold

    async def get_reservation(self, order_id: str) -> Reservation:
        order_id = require_text("order_id", order_id)
        async with self.db.unit_of_work() as uow:
            res = await tables.get_reservation(uow.session, order_id)
        if res is None:
            raise ReservationNotFound(order_id)
        return res

    async def list_warehouses(self) -> list[Warehouse]:
        async with self.db.unit_of_work() as uow:
            return await tables.list_warehouses(uow.session)

    async def list_movements(
        self,
        *,
        sku: str,
        warehouse: str,
        kinds: Sequence[MovementKind],
        limit: int,
        before_id: int | None,
    ) -> tuple[list[MovementRecord], int | None]:
        """Newest first; returns the page and the id to continue before (None at the end)."""
        size = page_limit(limit)
        m = tables.movements
        stmt = select(m).order_by(m.c.id.desc()).limit(size + 1)
        if sku.strip():
            stmt = stmt.where(m.c.sku == sku.strip())
        if warehouse.strip():
            stmt = stmt.where(m.c.warehouse == warehouse.strip().upper())
        if kinds:
            stmt = stmt.where(m.c.kind.in_([k.value for k in kinds]))
        if before_id is not None:
            stmt = stmt.where(m.c.id < before_id)
        async with self.db.unit_of_work() as uow:
            rows = (await uow.session.execute(stmt)).all()
        records = [
            MovementRecord(
                r.id,
                r.sku,
                r.warehouse,
                MovementKind(r.kind),
                r.on_hand_delta,
                r.reserved_delta,
                r.on_hand_after,
                r.reserved_after,
                r.reason,
                r.reference,
                r.actor,
                r.occurred_at,
            )
            for r in rows[:size]
        ]
        more = len(rows) > size
        return records, (records[-1].id if more and records else None)

    async def list_low_stock(
        self, *, warehouse: str, limit: int, after: tuple[str, str] | None
    ) -> tuple[list[StockView], tuple[str, str] | None]:
        size = page_limit(limit)
        s = tables.stock
        threshold = func.coalesce(s.c.low_stock_threshold, literal(self.policy.low_stock_threshold))
        stmt = (
            select(s, tables.skus.c.version.label("sku_version"))
            .join(tables.skus, tables.skus.c.sku == s.c.sku)
            .where(s.c.on_hand - s.c.reserved < threshold)
            .order_by(s.c.sku, s.c.warehouse)
            .limit(size + 1)
        )
        if warehouse.strip():
            stmt = stmt.where(s.c.warehouse == warehouse.strip().upper())
        if after is not None:
            stmt = stmt.where(
                tuple_(s.c.sku, s.c.warehouse) > tuple_(literal(after[0]), literal(after[1]))
            )
        async with self.db.unit_of_work() as uow:
            rows = (await uow.session.execute(stmt)).all()
        views = []
        for r in rows[:size]:
            level = StockLevel(r.sku, r.warehouse, r.on_hand, r.reserved, r.low_stock_threshold)
            views.append(StockView(level, self._threshold(level), r.sku_version, r.updated_at))
        more = len(rows) > size
        return views, ((views[-1].level.sku, views[-1].level.warehouse) if more and views else None)

    # -- reservations ----------------------------------------------------------------------
    async def reserve(
        self,
        *,
        order_id: str,
        lines: Sequence[Line],
        allow_backorder: bool = False,
        expires_in_seconds: int | None = None,
    ) -> ReserveResult:
        order_id = require_text("order_id", order_id)
        canonical = normalize_lines(lines)
        now = self.clock.now()
        expires_at = reservation_expiry(now, expires_in_seconds, self.policy.reservation_ttl)
        async with self.db.unit_of_work() as uow:
            claimed = await tables.claim_reservation(
                uow.session,
                order_id=order_id,
                status=ReservationStatus.PENDING,
                lines=canonical,
                allow_backorder=allow_backorder,
                now=now,
                expires_at=expires_at,
            )
            if claimed is None:
                existing = await tables.get_reservation(uow.session, order_id)
                if existing is None:  # pragma: no cover - the unique index says otherwise
                    raise RuntimeError(f"reservation of {order_id} vanished")
                return ReserveResult(existing.replay(canonical), replayed=True)
            res = Reservation(
                id=str(claimed),
                order_id=order_id,
                status=ReservationStatus.PENDING,
                lines=canonical,
                created_at=now,
                expires_at=expires_at,
                updated_at=now,
            )
            ledger = self._stock(uow, now)
            await ledger.lock(line.sku for line in canonical)
            plan = allocate(
                canonical,
                ledger.by_sku(),
                await self.warehouses(uow),
                allow_backorder=allow_backorder,
            )
            for a in plan.allocations:
                await ledger.change(
                    a.sku,
                    a.warehouse,
                    MovementKind.RESERVATION,
                    reserved_delta=a.quantity,
                    reason="reserved for order",
                    reference=order_id,
                )
                res.allocation(a.sku, a.warehouse).quantity += a.quantity
            expected = backorder_expected_date(now, self.policy.backorder_lead)
            for sku, missing in sorted(plan.shortfall.items()):
                await tables.add_backorder(
                    uow.session, res, sku=sku, quantity=missing, expected=expected, now=now
                )
            await tables.save_reservation(uow.session, res, now, just_claimed=True)
            self._publish_reserved(uow, res, now)
            if res.backorders:
                uow.publish(
                    Event(
                        events_pb2.InventoryBackordered(
                            reservation_id=res.id,
                            order_id=order_id,
                            backorders=_backorders_pb(res),
                            version=res.version,
                            occurred_at=timestamp(now),
                        ),
                        aggregate_type="reservation",
                        aggregate_id=order_id,
                        occurred_at=now,
                    )
                )
            await uow.commit()
        return ReserveResult(res, replayed=False)

    async def confirm(self, order_id: str) -> Reservation:
        async with self.db.unit_of_work() as uow:
            res = await self.confirm_in(uow, order_id)
            await uow.commit()
        return res

    async def confirm_in(self, uow: UnitOfWork, order_id: str) -> Reservation:
        order_id = require_text("order_id", order_id)
        res = await tables.get_reservation(uow.session, order_id, for_update=True)
        if res is None:
            raise ReservationNotFound(order_id)
        now = self.clock.now()
        if res.confirm():
            await tables.save_reservation(uow.session, res, now)
            res.updated_at = now
        return res

    async def release(
        self, order_id: str, reason: ReleaseReason = ReleaseReason.MANUAL, detail: str = ""
    ) -> ReleaseResult:
        async with self.db.unit_of_work() as uow:
            result = await self.release_in(uow, order_id, reason, detail)
            await uow.commit()
        return result

    async def release_in(
        self, uow: UnitOfWork, order_id: str, reason: ReleaseReason, detail: str = ""
    ) -> ReleaseResult:
        order_id = require_text("order_id", order_id)
        now = self.clock.now()
        res = await tables.get_reservation(uow.session, order_id, for_update=True)
        if res is None:
            # A tombstone, so a Reserve arriving after its compensation cannot hold stock
            # for an order that no longer exists.
            claimed = await tables.claim_reservation(
                uow.session,
                order_id=order_id,
                status=ReservationStatus.RELEASED,
                lines=(),
                allow_backorder=False,
                now=now,
                expires_at=None,
            )
            if claimed is not None:
                return ReleaseResult(None, released=False)
            # A Reserve of the same order committed meanwhile: release that one.
            res = await tables.get_reservation(uow.session, order_id, for_update=True)
            if res is None:  # pragma: no cover
                raise RuntimeError(f"reservation of {order_id} vanished")
        if not res.holding:
            return ReleaseResult(res, released=False)
        await self._release(uow, res, now, reason=reason, detail=detail)
        return ReleaseResult(res, released=True)

    async def _release(
        self,
        uow: UnitOfWork,
        res: Reservation,
        now: datetime,
        *,
        reason: ReleaseReason,
        detail: str,
    ) -> None:
        freed = res.release(expired=reason == ReleaseReason.EXPIRED)
        ledger = self._stock(uow, now)
        await ledger.lock(a.sku for a in freed)
        for a in freed:
            await ledger.change(
                a.sku,
                a.warehouse,
                MovementKind.RELEASE,
                reserved_delta=-a.quantity,
                reason=f"released: {reason.value.lower()}" + (f" ({detail})" if detail else ""),
                reference=res.order_id,
            )
        await tables.save_reservation(uow.session, res, now)
        res.updated_at = now
        uow.publish(
            Event(
                events_pb2.InventoryReleased(
                    reservation_id=res.id,
                    order_id=res.order_id,
                    released=[_allocation_pb(a) for a in freed],
                    reason=RELEASE_REASON[reason],
                    reason_detail=detail,
                    version=res.version,
                    occurred_at=timestamp(now),
                ),
                aggregate_type="reservation",
                aggregate_id=res.order_id,
                version=res.version,
                occurred_at=now,
            )
        )

    async def commit(
        self, *, order_id: str, shipment_id: str, lines: Sequence[Line]
    ) -> CommitResult:
        async with self.db.unit_of_work() as uow:
            result = await self.commit_in(
                uow, order_id=order_id, shipment_id=shipment_id, lines=lines
            )
            await uow.commit()
        return result

    async def commit_in(
        self, uow: UnitOfWork, *, order_id: str, shipment_id: str, lines: Sequence[Line]
    ) -> CommitResult:
        order_id = require_text("order_id", order_id)
        shipment_id = require_text("shipment_id", shipment_id)
        wanted = normalize_lines(lines) if lines else None
        now = self.clock.now()
        res = await tables.get_reservation(uow.session, order_id, for_update=True)
        if res is None:
            raise ReservationNotFound(order_id)
        if not await tables.record_commit(uow.session, res, shipment_id, now):
            return CommitResult(res, await self._movements_of(uow, shipment_id))
        shipped = res.commit(wanted, await self.warehouses(uow))
        ledger = self._stock(uow, now)
        await ledger.lock(a.sku for a in shipped)
        moved = [
            await ledger.change(
                a.sku,
                a.warehouse,
                MovementKind.SHIPMENT,
                on_hand_delta=-a.quantity,
                reserved_delta=-a.quantity,
                reason=f"shipped for order {order_id}",
                reference=shipment_id,
            )
            for a in shipped
        ]
        await tables.save_reservation(uow.session, res, now)
        res.updated_at = now
        return CommitResult(res, moved)

    async def _movements_of(self, uow: UnitOfWork, reference: str) -> list[MovementRecord]:
        m = tables.movements
        rows = (
            await uow.session.execute(
                select(m)
                .where(m.c.reference == reference, m.c.kind == MovementKind.SHIPMENT.value)
                .order_by(m.c.id)
            )
        ).all()
        return [
            MovementRecord(
                r.id,
                r.sku,
                r.warehouse,
                MovementKind(r.kind),
                r.on_hand_delta,
                r.reserved_delta,
                r.on_hand_after,
                r.reserved_after,
                r.reason,
                r.reference,
                r.actor,
                r.occurred_at,
            )
            for r in rows
        ]

    async def expire_due(self, batch: int = 100) -> int:
        """Release PENDING reservations past their deadline, one per transaction (its
        skus locked in order), so the job never holds locks in two orders at once."""
        expired = 0
        for _ in range(batch):
            async with self.db.unit_of_work() as uow:
                now = self.clock.now()
                res = await tables.lock_next_due(uow.session, now)
                if res is None:
                    break
                await self._release(uow, res, now, reason=ReleaseReason.EXPIRED, detail="")
                await uow.commit()
                expired += 1
        return expired

    # -- stock movements --------------------------------------------------------------------
    async def receive(
        self, *, sku: str, warehouse: str, quantity: int, reference: str = ""
    ) -> StockChange:
        async with self.db.unit_of_work() as uow:
            changes = await self.receive_in(
                uow, [Receipt(sku, warehouse, quantity)], reference=reference
            )
            await uow.commit()
        return changes[0]

    async def receive_in(
        self,
        uow: UnitOfWork,
        receipts: Sequence[Receipt],
        *,
        reference: str = "",
        for_order_id: str = "",
    ) -> list[StockChange]:
        """Book goods in, then hand them to waiting backorders: the order a supplier
        order was placed for first, then first come first served."""
        if not receipts:
            raise ValidationFailed({"lines": "at least one line is required"})
        checked: list[Receipt] = []
        for i, r in enumerate(receipts):
            prefix = "" if len(receipts) == 1 else f"lines[{i}]."
            sku = require_text(f"{prefix}sku", r.sku)
            require_positive(f"{prefix}quantity", r.quantity)
            code = await self._require_warehouse(uow, r.warehouse, f"{prefix}warehouse")
            checked.append(Receipt(sku, code, r.quantity))
        now = self.clock.now()
        skus = sorted({r.sku for r in checked})
        # Reservations before skus: the service-wide lock order.
        waiting = await tables.lock_reservations_waiting_for(uow.session, skus)
        waiting.sort(key=lambda res: res.order_id != for_order_id)  # stable: FIFO otherwise
        ledger = self._stock(uow, now)
        await ledger.lock(skus, create=True)
        booked: list[tuple[Receipt, MovementRecord]] = []
        for r in checked:
            movement = await ledger.change(
                r.sku,
                r.warehouse,
                MovementKind.RECEIPT,
                on_hand_delta=r.quantity,
                reason="goods received",
                reference=reference.strip(),
            )
            booked.append((r, movement))
        touched: dict[str, Reservation] = {}
        for sku, warehouse in sorted({(r.sku, r.warehouse) for r in checked}):
            candidates = [
                (res, b) for res in waiting for b in res.backorders if b.sku == sku and b.missing
            ]
            level = ledger.level(sku, warehouse)
            available = level.available if level is not None else 0
            for res, backorder, qty in plan_backorder_fill(candidates, available):
                filled = res.fill_backorder(backorder.id, warehouse, qty)
                await ledger.change(
                    sku,
                    warehouse,
                    MovementKind.RESERVATION,
                    reserved_delta=filled.quantity,
                    reason="backorder filled",
                    reference=res.order_id,
                )
                touched[res.id] = res
        for res in touched.values():
            await tables.save_reservation(uow.session, res, now)
            res.updated_at = now
            self._publish_reserved(uow, res, now)
        return [StockChange(ledger.view(r.sku, r.warehouse), m) for r, m in booked]

    async def adjust(self, *, sku: str, warehouse: str, delta: int, reason: str) -> StockChange:
        sku = require_text("sku", sku)
        reason = require_text("reason", reason)
        if delta == 0:
            raise ValidationFailed({"delta": "must not be 0"})
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            warehouse = await self._require_warehouse(uow, warehouse, "warehouse")
            ledger = self._stock(uow, now)
            await ledger.lock([sku])
            ledger.require_known(sku)
            check_adjustment(
                ledger.level(sku, warehouse) or StockLevel(sku, warehouse, 0, 0), delta
            )
            movement = await ledger.change(
                sku, warehouse, MovementKind.ADJUSTMENT, on_hand_delta=delta, reason=reason
            )
            view = ledger.view(sku, warehouse)
            await uow.commit()
        return StockChange(view, movement)

    async def transfer(
        self, *, sku: str, from_warehouse: str, to_warehouse: str, quantity: int, reason: str = ""
    ) -> TransferResult:
        sku = require_text("sku", sku)
        require_positive("quantity", quantity)
        source_code = require_text("from_warehouse", from_warehouse).upper()
        target_code = require_text("to_warehouse", to_warehouse).upper()
        if source_code == target_code:
            raise SameWarehouse(source_code)
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            source_code = await self._require_warehouse(uow, source_code, "from_warehouse")
            target_code = await self._require_warehouse(uow, target_code, "to_warehouse")
            ledger = self._stock(uow, now)
            await ledger.lock([sku])
            ledger.require_known(sku)
            source = ledger.level(sku, source_code) or StockLevel(sku, source_code, 0, 0)
            check_transfer(source, sku, target_code, quantity)
            reference = f"transfer {source_code}->{target_code}"
            out = await ledger.change(
                sku,
                source_code,
                MovementKind.TRANSFER_OUT,
                on_hand_delta=-quantity,
                reason=reason.strip() or "transfer",
                reference=reference,
            )
            into = await ledger.change(
                sku,
                target_code,
                MovementKind.TRANSFER_IN,
                on_hand_delta=quantity,
                reason=reason.strip() or "transfer",
                reference=reference,
            )
            result = TransferResult(
                ledger.view(sku, source_code), ledger.view(sku, target_code), [out, into]
            )
            await uow.commit()
        return result

    async def set_threshold(self, *, sku: str, warehouse: str, threshold: int | None) -> StockView:
        sku = require_text("sku", sku)
        if threshold is not None and threshold < 0:
            raise ValidationFailed({"threshold": "must not be negative"})
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            warehouse = await self._require_warehouse(uow, warehouse, "warehouse")
            ledger = self._stock(uow, now)
            await ledger.lock([sku], create=True)
            await ledger.set_threshold(sku, warehouse, threshold)
            view = ledger.view(sku, warehouse)
            await uow.commit()
        return view

    async def restock_return_in(
        self, uow: UnitOfWork, *, order_id: str, return_id: str, lines: Sequence[Line], reason: str
    ) -> list[MovementRecord]:
        canonical = normalize_lines(lines)
        now = self.clock.now()
        res = await tables.get_reservation(uow.session, order_id)
        targets = plan_return(res, canonical, await self.warehouses(uow))
        ledger = self._stock(uow, now)
        await ledger.lock((a.sku for a in targets), create=True)
        moved = [
            await ledger.change(
                a.sku,
                a.warehouse,
                MovementKind.RETURN,
                on_hand_delta=a.quantity,
                reason=reason or f"returned from order {order_id}",
                reference=return_id or order_id,
            )
            for a in targets
        ]
        return moved

    # -- reconciliation ---------------------------------------------------------------------
    async def reconcile(self, skus: Sequence[str] = ()) -> ReconcileReport:
        """Recompute stock from the ledger and the active reservations; read-only, in one
        REPEATABLE READ snapshot so concurrent traffic cannot look like a mismatch."""
        sql = text(
            """
            WITH ledger AS (
                SELECT sku, warehouse,
                       SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
                FROM movements GROUP BY sku, warehouse
            ), held AS (
                SELECT a.sku, a.warehouse,
                       SUM(a.quantity - a.committed_quantity - a.released_quantity) AS reserved
                FROM reservation_allocations a JOIN reservations r ON r.id = a.reservation_id
                WHERE r.status = ANY(:holding)
                GROUP BY a.sku, a.warehouse
            ), keys AS (
                SELECT sku, warehouse FROM stock
                UNION SELECT sku, warehouse FROM ledger
                UNION SELECT sku, warehouse FROM held
            )
            SELECT k.sku, k.warehouse,
                   COALESCE(s.on_hand, 0) AS recorded_on_hand,
                   COALESCE(s.reserved, 0) AS recorded_reserved,
                   COALESCE(l.on_hand, 0) AS ledger_on_hand,
                   COALESCE(l.reserved, 0) AS ledger_reserved,
                   COALESCE(h.reserved, 0) AS reservations_reserved
            FROM keys k
            LEFT JOIN stock s ON s.sku = k.sku AND s.warehouse = k.warehouse
            LEFT JOIN ledger l ON l.sku = k.sku AND l.warehouse = k.warehouse
            LEFT JOIN held h ON h.sku = k.sku AND h.warehouse = k.warehouse
            WHERE cardinality(CAST(:skus AS text[])) = 0 OR k.sku = ANY(CAST(:skus AS text[]))
            ORDER BY k.sku, k.warehouse
            """
        )
        wanted = [s.strip() for s in skus if s.strip()]
        now = self.clock.now()
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                rows = (
                    await conn.execute(sql, {"holding": [s.value for s in HOLDING], "skus": wanted})
                ).all()
        figures = [
            LedgerFigures(
                r.sku,
                r.warehouse,
                int(r.recorded_on_hand),
                int(r.recorded_reserved),
                int(r.ledger_on_hand),
                int(r.ledger_reserved),
                int(r.reservations_reserved),
            )
            for r in rows
        ]
        return ReconcileReport(
            checked=len(figures),
            checked_at=now,
            mismatches=[Mismatch(f, text_) for f, text_ in reconcile(figures)],
        )


def _allocation_pb(a: Allocation) -> inventory_pb2.Allocation:
    return inventory_pb2.Allocation(sku=a.sku, warehouse=a.warehouse, quantity=a.quantity)


def _allocations_pb(res: Reservation) -> list[inventory_pb2.Allocation]:
    return [
        inventory_pb2.Allocation(
            sku=a.sku, warehouse=a.warehouse, quantity=a.quantity, committed_quantity=a.committed
        )
        for a in res.allocations
    ]


def _backorders_pb(res: Reservation) -> list[inventory_pb2.Backorder]:
    return [
        inventory_pb2.Backorder(
            sku=b.sku,
            quantity=b.quantity,
            expected_date=b.expected_date.isoformat(),
            fulfilled_quantity=b.fulfilled,
        )
        for b in res.backorders
    ]
