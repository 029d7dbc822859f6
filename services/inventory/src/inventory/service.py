"""Inventory use cases. Each takes the caller's unit of work (a gRPC method runs it in
`in_transaction`, a consumer in the inbox's), loads what it needs under the locking
rule of `db.stock`, asks the domain what to do, writes the result, queues the events
with `uow.publish` and never commits (services/README.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from inventory import events
from inventory.db.reservations import Reservations
from inventory.db.stock import StockLedger
from inventory.db.warehouses import WarehouseCache
from inventory.domain.reservation import (
    DEFAULT_BACKORDER_LEAD,
    DEFAULT_RESERVATION_TTL,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    backorder_expected_date,
    plan_backorder_fill,
    plan_return,
    reservation_expiry,
)
from inventory.domain.stock import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    Line,
    Movement,
    MovementKind,
    Receipt,
    StockLevel,
    StockView,
    Warehouse,
    allocate,
    check_adjustment,
    check_transfer,
    normalize_lines,
    require_positive,
    require_text,
)
from inventory.errors import ReservationNotFound, SameWarehouse, ValidationFailed


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
    movements: list[Movement]


@dataclass(frozen=True)
class StockChanged:
    stock: StockView
    movement: Movement


@dataclass(frozen=True)
class TransferResult:
    source: StockView
    target: StockView
    movements: list[Movement]


class InventoryService:
    def __init__(self, clock: Clock, policy: Policy | None = None) -> None:
        self.clock = clock
        self.policy = policy or Policy()
        self._warehouses = WarehouseCache()

    # -- collaborators -------------------------------------------------------------------
    def _ledger(self, uow: UnitOfWork, now: datetime) -> StockLedger:
        return StockLedger(uow, now=now, default_threshold=self.policy.low_stock_threshold)

    @staticmethod
    def _publish(
        uow: UnitOfWork, ledger: StockLedger, now: datetime, *reservations: Reservation
    ) -> None:
        uow.publish(*events.published(ledger.changes, reservations, now))

    async def warehouses(self, uow: UnitOfWork) -> list[Warehouse]:
        return await self._warehouses.all(uow.session)

    async def _require_warehouse(self, uow: UnitOfWork, code: str, field_name: str) -> str:
        return await self._warehouses.require(uow.session, code, field_name)

    async def _holding(self, uow: UnitOfWork, order_id: str) -> Reservation:
        res = await Reservations(uow).get(require_text("order_id", order_id), for_update=True)
        if res is None:
            raise ReservationNotFound(order_id.strip())
        return res

    # -- reservations ----------------------------------------------------------------------
    async def reserve(
        self,
        uow: UnitOfWork,
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
        reservations = Reservations(uow)
        res = await reservations.claim(
            order_id=order_id,
            status=ReservationStatus.PENDING,
            lines=canonical,
            allow_backorder=allow_backorder,
            now=now,
            expires_at=expires_at,
        )
        if res is None:
            existing = await reservations.get(order_id)
            if existing is None:  # pragma: no cover - the unique index says otherwise
                raise RuntimeError(f"reservation of {order_id} vanished")
            return ReserveResult(existing.replay(canonical), replayed=True)
        ledger = self._ledger(uow, now)
        await ledger.lock(line.sku for line in canonical)
        plan = allocate(
            canonical, ledger.by_sku(), await self.warehouses(uow), allow_backorder=allow_backorder
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
        res.hold(plan, backorder_expected_date(now, self.policy.backorder_lead))
        await reservations.save(res, now, new=True)
        self._publish(uow, ledger, now, res)
        return ReserveResult(res, replayed=False)

    async def confirm(self, uow: UnitOfWork, order_id: str) -> Reservation:
        res = await self._holding(uow, order_id)
        if res.confirm():
            await Reservations(uow).save(res, self.clock.now())
        return res

    async def release(
        self,
        uow: UnitOfWork,
        order_id: str,
        reason: ReleaseReason = ReleaseReason.MANUAL,
        detail: str = "",
    ) -> ReleaseResult:
        order_id = require_text("order_id", order_id)
        now = self.clock.now()
        reservations = Reservations(uow)
        res = await reservations.get(order_id, for_update=True)
        if res is None:
            # A tombstone, so a Reserve arriving after its compensation cannot hold stock
            # for an order that no longer exists.
            tombstone = await reservations.claim(
                order_id=order_id,
                status=ReservationStatus.RELEASED,
                lines=(),
                allow_backorder=False,
                now=now,
                expires_at=None,
            )
            if tombstone is not None:
                return ReleaseResult(None, released=False)
            # A Reserve of the same order committed meanwhile: release that one.
            res = await reservations.get(order_id, for_update=True)
            if res is None:  # pragma: no cover
                raise RuntimeError(f"reservation of {order_id} vanished")
        if not res.holding:
            return ReleaseResult(res, released=False)
        await self._release(uow, res, now, reason, detail)
        return ReleaseResult(res, released=True)

    async def _release(
        self, uow: UnitOfWork, res: Reservation, now: datetime, reason: ReleaseReason, detail: str
    ) -> None:
        freed = res.release(reason, detail)
        ledger = self._ledger(uow, now)
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
        await Reservations(uow).save(res, now)
        self._publish(uow, ledger, now, res)

    async def expire_next(self, uow: UnitOfWork) -> bool:
        """Release one PENDING reservation past its deadline; False when none is due."""
        now = self.clock.now()
        res = await Reservations(uow).lock_next_due(now)
        if res is None:
            return False
        await self._release(uow, res, now, ReleaseReason.EXPIRED, "")
        return True

    async def commit(
        self, uow: UnitOfWork, *, order_id: str, shipment_id: str, lines: Sequence[Line]
    ) -> CommitResult:
        """Ship units of a reservation; idempotent by shipment id."""
        order_id = require_text("order_id", order_id)
        shipment_id = require_text("shipment_id", shipment_id)
        wanted = normalize_lines(lines) if lines else None
        now = self.clock.now()
        res = await self._holding(uow, order_id)
        ledger = self._ledger(uow, now)
        reservations = Reservations(uow)
        if not await reservations.record_commit(res, shipment_id, now):
            return CommitResult(res, await ledger.shipment_movements(shipment_id))
        shipped = res.commit(wanted, await self.warehouses(uow))
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
        await reservations.save(res, now)
        self._publish(uow, ledger, now, res)
        return CommitResult(res, moved)

    async def restock_return(
        self, uow: UnitOfWork, *, order_id: str, return_id: str, lines: Sequence[Line], reason: str
    ) -> list[Movement]:
        """Book returned units back where they were shipped from (see `plan_return`)."""
        canonical = normalize_lines(lines)
        now = self.clock.now()
        res = await Reservations(uow).get(order_id)
        targets = plan_return(res, canonical, await self.warehouses(uow))
        ledger = self._ledger(uow, now)
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
        self._publish(uow, ledger, now)
        return moved

    # -- stock movements --------------------------------------------------------------------
    async def receive(
        self,
        uow: UnitOfWork,
        receipts: Sequence[Receipt],
        *,
        reference: str = "",
        for_order_id: str = "",
    ) -> list[StockChanged]:
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
        waiting = await Reservations(uow).lock_waiting_for(skus)
        waiting.sort(key=lambda res: res.order_id != for_order_id)  # stable: FIFO otherwise
        ledger = self._ledger(uow, now)
        await ledger.lock(skus, create=True)
        booked: list[tuple[Receipt, Movement]] = []
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
            await Reservations(uow).save(res, now)
        self._publish(uow, ledger, now, *touched.values())
        return [StockChanged(ledger.view(r.sku, r.warehouse), m) for r, m in booked]

    async def adjust(
        self, uow: UnitOfWork, *, sku: str, warehouse: str, delta: int, reason: str
    ) -> StockChanged:
        sku = require_text("sku", sku)
        reason = require_text("reason", reason)
        if delta == 0:
            raise ValidationFailed({"delta": "must not be 0"})
        now = self.clock.now()
        warehouse = await self._require_warehouse(uow, warehouse, "warehouse")
        ledger = self._ledger(uow, now)
        await ledger.lock([sku])
        ledger.require_known(sku)
        check_adjustment(ledger.level(sku, warehouse) or StockLevel(sku, warehouse, 0, 0), delta)
        movement = await ledger.change(
            sku, warehouse, MovementKind.ADJUSTMENT, on_hand_delta=delta, reason=reason
        )
        self._publish(uow, ledger, now)
        return StockChanged(ledger.view(sku, warehouse), movement)

    async def transfer(
        self,
        uow: UnitOfWork,
        *,
        sku: str,
        from_warehouse: str,
        to_warehouse: str,
        quantity: int,
        reason: str = "",
    ) -> TransferResult:
        sku = require_text("sku", sku)
        require_positive("quantity", quantity)
        source_code = require_text("from_warehouse", from_warehouse).upper()
        target_code = require_text("to_warehouse", to_warehouse).upper()
        if source_code == target_code:
            raise SameWarehouse(source_code)
        now = self.clock.now()
        source_code = await self._require_warehouse(uow, source_code, "from_warehouse")
        target_code = await self._require_warehouse(uow, target_code, "to_warehouse")
        ledger = self._ledger(uow, now)
        await ledger.lock([sku])
        ledger.require_known(sku)
        source = ledger.level(sku, source_code) or StockLevel(sku, source_code, 0, 0)
        check_transfer(source, sku, target_code, quantity)
        reference = f"transfer {source_code}->{target_code}"
        why = reason.strip() or "transfer"
        out = await ledger.change(
            sku,
            source_code,
            MovementKind.TRANSFER_OUT,
            on_hand_delta=-quantity,
            reason=why,
            reference=reference,
        )
        into = await ledger.change(
            sku,
            target_code,
            MovementKind.TRANSFER_IN,
            on_hand_delta=quantity,
            reason=why,
            reference=reference,
        )
        self._publish(uow, ledger, now)
        return TransferResult(
            ledger.view(sku, source_code), ledger.view(sku, target_code), [out, into]
        )

    async def set_threshold(
        self, uow: UnitOfWork, *, sku: str, warehouse: str, threshold: int | None
    ) -> StockView:
        sku = require_text("sku", sku)
        if threshold is not None and threshold < 0:
            raise ValidationFailed({"threshold": "must not be negative"})
        now = self.clock.now()
        warehouse = await self._require_warehouse(uow, warehouse, "warehouse")
        ledger = self._ledger(uow, now)
        await ledger.lock([sku], create=True)
        await ledger.set_threshold(sku, warehouse, threshold)
        self._publish(uow, ledger, now)
        return ledger.view(sku, warehouse)
