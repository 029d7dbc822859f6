"""Use cases of the reservation aggregate: reserve, confirm, release (and expire),
commit shipments, restock returns. Lock order: the reservation row first, then its skus
(`db.stock`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cypher_runtime.db import UnitOfWork
from inventory.db.reservations import Reservations
from inventory.domain.reservation import (
    ReleaseReason,
    Reservation,
    ReservationStatus,
    backorder_expected_date,
    plan_return,
    reservation_expiry,
)
from inventory.domain.stock import (
    Line,
    Movement,
    MovementKind,
    allocate,
    normalize_lines,
    require_text,
)
from inventory.errors import ReservationNotFound
from inventory.service.stockroom import Stockroom


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


class ReservationUseCases:
    def __init__(self, room: Stockroom) -> None:
        self.room = room

    async def _holding(self, uow: UnitOfWork, order_id: str) -> Reservation:
        res = await Reservations(uow).get(require_text("order_id", order_id), for_update=True)
        if res is None:
            raise ReservationNotFound(order_id.strip())
        return res

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
        now = self.room.clock.now()
        expires_at = reservation_expiry(now, expires_in_seconds, self.room.policy.reservation_ttl)
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
        ledger = self.room.ledger(uow, now)
        await ledger.lock(line.sku for line in canonical)
        plan = allocate(
            canonical,
            ledger.by_sku(),
            await self.room.warehouses(uow),
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
        res.hold(plan, backorder_expected_date(now, self.room.policy.backorder_lead))
        await reservations.save(res, now, new=True)
        self.room.publish(uow, ledger, now, res)
        return ReserveResult(res, replayed=False)

    async def confirm(self, uow: UnitOfWork, order_id: str) -> Reservation:
        res = await self._holding(uow, order_id)
        if res.confirm():
            await Reservations(uow).save(res, self.room.clock.now())
        return res

    async def release(
        self,
        uow: UnitOfWork,
        order_id: str,
        reason: ReleaseReason = ReleaseReason.MANUAL,
        detail: str = "",
    ) -> ReleaseResult:
        order_id = require_text("order_id", order_id)
        now = self.room.clock.now()
        reservations = Reservations(uow)
        res = await reservations.get(order_id, for_update=True)
        if res is None:
            # A tombstone, so a Reserve arriving after its compensation cannot hold stock
            # for an order that no longer exists.
            if await reservations.tombstone(order_id, now):
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
        ledger = self.room.ledger(uow, now)
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
        self.room.publish(uow, ledger, now, res)

    async def expire_next(self, uow: UnitOfWork) -> bool:
        """Release one PENDING reservation past its deadline; False when none is due."""
        now = self.room.clock.now()
        res = await Reservations(uow).lock_next_due(now)
        if res is None or not res.is_expired(now):  # the query selects by the same rule
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
        now = self.room.clock.now()
        res = await self._holding(uow, order_id)
        ledger = self.room.ledger(uow, now)
        reservations = Reservations(uow)
        if not await reservations.record_commit(res, shipment_id, now):
            return CommitResult(res, await ledger.shipment_movements(shipment_id))
        shipped = res.commit(wanted, await self.room.warehouses(uow))
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
        self.room.publish(uow, ledger, now, res)
        return CommitResult(res, moved)

    async def restock_return(
        self, uow: UnitOfWork, *, order_id: str, return_id: str, lines: Sequence[Line], reason: str
    ) -> list[Movement]:
        """Book returned units back where they were shipped from (see `plan_return`)."""
        canonical = normalize_lines(lines)
        now = self.room.clock.now()
        res = await Reservations(uow).get(order_id)
        targets = plan_return(res, canonical, await self.room.warehouses(uow))
        ledger = self.room.ledger(uow, now)
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
        self.room.publish(uow, ledger, now)
        return moved
