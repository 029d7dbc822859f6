"""Use cases of the stock itself: receipts (which fill waiting backorders), adjustments,
transfers, thresholds, and learning the catalogue. Stock is only booked for a sku the
catalogue announced (`db.catalogue`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cypher_runtime.db import UnitOfWork
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
from inventory.errors import SameWarehouse, ValidationFailed
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


class StockUseCases:
    def __init__(self, room: Stockroom) -> None:
        self.room = room

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
        return [StockChanged(ledger.view(r.sku, r.warehouse), m) for r, m in booked]

    async def adjust(
        self, uow: UnitOfWork, *, sku: str, warehouse: str, delta: int, reason: str
    ) -> StockChanged:
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
