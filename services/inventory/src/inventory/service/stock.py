"""Use cases of the stock itself: receipts (which fill waiting backorders), adjustments,
transfers, thresholds, and learning the catalogue. Stock is only booked for a sku the
catalogue announced (`db.catalogue`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cypher_runtime.db import UnitOfWork
from inventory.db.applied import AppliedRequests
from inventory.db.catalogue import Catalogue
from inventory.db.reservations import Reservations
from inventory.domain.reservation import Reservation, plan_backorder_fill
from inventory.domain.stock import (
    Movement,
    MovementKind,
    Receipt,
    StockLevel,
    StockView,
    check_adjustment,
    check_transfer,
    require_positive,
    require_text,
)
from inventory.errors import IdempotencyKeyReused, SameWarehouse, ValidationFailed
from inventory.service.stockroom import Stockroom


@dataclass(frozen=True)
class StockChanged:
    stock: StockView
    movement: Movement


@dataclass(frozen=True)
class TransferResult:
    source: StockView
    target: StockView
    movements: list[Movement]


def fingerprint(kind: str, **request: Any) -> str:
    """What makes two requests with one idempotency key "the same"."""
    body = json.dumps({"kind": kind, **request}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


class StockUseCases:
    def __init__(self, room: Stockroom) -> None:
        self.room = room

    async def _earlier(
        self, uow: UnitOfWork, key: str, kind: str, fp: str
    ) -> list[Movement] | None:
        """With a key: claim it (None: apply the request now) or return the movements
        its first run made. Without a key: None (applied as every time)."""
        if not key:
            return None
        applied = await AppliedRequests(uow).claim(key, kind, fp, self.room.clock.now())
        if applied is None:
            return None
        if applied.kind != kind or applied.fingerprint != fp:
            raise IdempotencyKeyReused(key)
        return await AppliedRequests(uow).movements(applied.movement_ids)

    async def _views(self, uow: UnitOfWork, moved: Sequence[Movement]) -> list[StockView]:
        """The stock rows the first run moved, as they stand now (a replay's answer)."""
        ledger = self.room.ledger(uow, self.room.clock.now())
        await ledger.lock(m.sku for m in moved)
        return [ledger.view(m.sku, m.warehouse) for m in moved]

    async def receive(
        self,
        uow: UnitOfWork,
        receipts: Sequence[Receipt],
        *,
        reference: str = "",
        for_order_id: str = "",
        idempotency_key: str = "",
    ) -> list[StockChanged]:
        """Book goods in, then hand them to waiting backorders: the order a supplier
        order was placed for first, then first come first served. With a key, at most
        once: a repeat answers with the first receipt's movements."""
        if not receipts:
            raise ValidationFailed({"lines": "at least one line is required"})
        fp = fingerprint(
            "receipt",
            lines=[[r.sku.strip(), r.warehouse.strip().upper(), r.quantity] for r in receipts],
            reference=reference.strip(),
            for_order_id=for_order_id,
        )
        earlier = await self._earlier(uow, idempotency_key, "receipt", fp)
        if earlier is not None:
            views = await self._views(uow, earlier)
            return [StockChanged(v, m) for v, m in zip(views, earlier, strict=True)]
        checked: list[Receipt] = []
        for i, r in enumerate(receipts):
            prefix = "" if len(receipts) == 1 else f"lines[{i}]."
            sku = require_text(f"{prefix}sku", r.sku)
            require_positive(f"{prefix}quantity", r.quantity)
            code = await self.room.require_warehouse(uow, r.warehouse, f"{prefix}warehouse")
            checked.append(Receipt(sku, code, r.quantity))
        await Catalogue(uow).require_known(r.sku for r in checked)
        now = self.room.clock.now()
        skus = sorted({r.sku for r in checked})
        # Reservations before skus: the service-wide lock order.
        waiting = await Reservations(uow).lock_waiting_for(skus)
        waiting.sort(key=lambda res: res.order_id != for_order_id)  # stable: FIFO otherwise
        ledger = self.room.ledger(uow, now)
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
        self.room.publish(uow, ledger, now, *touched.values())
        if idempotency_key:
            await AppliedRequests(uow).record(idempotency_key, [m for _, m in booked])
        return [StockChanged(ledger.view(r.sku, r.warehouse), m) for r, m in booked]

    async def adjust(
        self,
        uow: UnitOfWork,
        *,
        sku: str,
        warehouse: str,
        delta: int,
        reason: str,
        idempotency_key: str = "",
    ) -> StockChanged:
        fp = fingerprint(
            "adjustment",
            sku=sku.strip(),
            warehouse=warehouse.strip().upper(),
            delta=delta,
            reason=reason.strip(),
        )
        earlier = await self._earlier(uow, idempotency_key, "adjustment", fp)
        if earlier is not None:
            (view,) = await self._views(uow, earlier)
            return StockChanged(view, earlier[0])
        sku = require_text("sku", sku)
        reason = require_text("reason", reason)
        if delta == 0:
            raise ValidationFailed({"delta": "must not be 0"})
        now = self.room.clock.now()
        warehouse = await self.room.require_warehouse(uow, warehouse, "warehouse")
        await Catalogue(uow).require_known([sku])
        ledger = self.room.ledger(uow, now)
        await ledger.lock([sku])
        ledger.require_known(sku)
        check_adjustment(ledger.level(sku, warehouse) or StockLevel(sku, warehouse, 0, 0), delta)
        movement = await ledger.change(
            sku, warehouse, MovementKind.ADJUSTMENT, on_hand_delta=delta, reason=reason
        )
        self.room.publish(uow, ledger, now)
        if idempotency_key:
            await AppliedRequests(uow).record(idempotency_key, [movement])
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
        idempotency_key: str = "",
    ) -> TransferResult:
        fp = fingerprint(
            "transfer",
            sku=sku.strip(),
            from_warehouse=from_warehouse.strip().upper(),
            to_warehouse=to_warehouse.strip().upper(),
            quantity=quantity,
            reason=reason.strip(),
        )
        earlier = await self._earlier(uow, idempotency_key, "transfer", fp)
        if earlier is not None:
            source_view, target_view = await self._views(uow, earlier)
            return TransferResult(source_view, target_view, earlier)
        sku = require_text("sku", sku)
        require_positive("quantity", quantity)
        source_code = require_text("from_warehouse", from_warehouse).upper()
        target_code = require_text("to_warehouse", to_warehouse).upper()
        if source_code == target_code:
            raise SameWarehouse(source_code)
        now = self.room.clock.now()
        source_code = await self.room.require_warehouse(uow, source_code, "from_warehouse")
        target_code = await self.room.require_warehouse(uow, target_code, "to_warehouse")
        await Catalogue(uow).require_known([sku])
        ledger = self.room.ledger(uow, now)
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
        self.room.publish(uow, ledger, now)
        if idempotency_key:
            await AppliedRequests(uow).record(idempotency_key, [out, into])
        return TransferResult(
            ledger.view(sku, source_code), ledger.view(sku, target_code), [out, into]
        )

    async def set_threshold(
        self, uow: UnitOfWork, *, sku: str, warehouse: str, threshold: int | None
    ) -> StockView:
        sku = require_text("sku", sku)
        if threshold is not None and threshold < 0:
            raise ValidationFailed({"threshold": "must not be negative"})
        now = self.room.clock.now()
        warehouse = await self.room.require_warehouse(uow, warehouse, "warehouse")
        await Catalogue(uow).require_known([sku])
        ledger = self.room.ledger(uow, now)
        await ledger.lock([sku], create=True)
        await ledger.set_threshold(sku, warehouse, threshold)
        self.room.publish(uow, ledger, now)
        return ledger.view(sku, warehouse)

    async def learn_product(self, uow: UnitOfWork, sku: str, version: int) -> None:
        """Pricing announced a product (created or changed): its sku may hold stock."""
        await Catalogue(uow).learn(require_text("product.sku", sku), version, self.room.clock.now())
