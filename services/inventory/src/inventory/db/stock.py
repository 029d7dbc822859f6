"""The stock ledger: stock changes inside one unit of work — per-sku locks in sku order,
a conditional UPDATE per sku×warehouse, a movement row for each change — recording the
changes (`StockMoved`, `LowStockCrossed`) that `events.py` turns into messages.

Locking rule of the whole service, so no deadlock ever reaches a caller: reservation
rows first (one, or several in id order), then `skus` rows in sku order, all in one
`lock()` call; every stock row is changed only while its sku row is locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert

from cypher_runtime.context import current_actor
from cypher_runtime.db import UnitOfWork
from inventory.db.tables import movements, skus, stock
from inventory.domain.stock import (
    LowStockCrossed,
    Movement,
    MovementKind,
    StockChange,
    StockLevel,
    StockMoved,
    StockView,
    low_stock_transition,
)
from inventory.errors import InsufficientStock, NegativeStock, UnknownSku

# The stock row, the sku's version and the ledger row in one statement. Every CTE runs
# on the same snapshot, so `k` and `m` are tied to `s` having matched: when the
# conditions refuse the change, nothing at all is written and no row comes back.
CHANGE_SQL = text(
    """
    WITH s AS (
        UPDATE stock
        SET on_hand = on_hand + :dh, reserved = reserved + :dr,
            version = version + 1, updated_at = :now
        WHERE sku = :sku AND warehouse = :wh
          AND reserved + :dr >= 0 AND on_hand + :dh >= reserved + :dr
        RETURNING on_hand, reserved, version, low_stock_threshold, low_stock_armed
    ), k AS (
        UPDATE skus SET version = version + 1
        WHERE sku = :sku AND EXISTS (SELECT 1 FROM s)
        RETURNING version
    ), m AS (
        INSERT INTO movements (sku, warehouse, kind, on_hand_delta, reserved_delta,
                               on_hand_after, reserved_after, reason, reference, actor,
                               occurred_at)
        SELECT :sku, :wh, :kind, :dh, :dr, s.on_hand, s.reserved, :reason, :reference,
               :actor, :now
        FROM s
        RETURNING id
    )
    SELECT s.on_hand, s.reserved, s.version, s.low_stock_threshold, s.low_stock_armed,
           k.version AS sku_version, m.id AS movement_id
    FROM s, k, m
    """
)


def movement_of(row: Any) -> Movement:
    return Movement(
        row.id,
        row.sku,
        row.warehouse,
        MovementKind(row.kind),
        row.on_hand_delta,
        row.reserved_delta,
        row.on_hand_after,
        row.reserved_after,
        row.reason,
        row.reference,
        row.actor,
        row.occurred_at,
    )


@dataclass(frozen=True)
class Row:
    """A stock row as this transaction last saw it (it holds the sku lock)."""

    level: StockLevel
    armed: bool
    version: int
    updated_at: datetime


class StockLedger:
    def __init__(self, uow: UnitOfWork, *, now: datetime, default_threshold: int) -> None:
        self.uow = uow
        self.now = now
        self.default_threshold = default_threshold
        self.rows: dict[tuple[str, str], Row] = {}
        self.versions: dict[str, int] = {}
        self.changes: list[StockChange] = []

    # -- locks and reads -----------------------------------------------------------------
    async def lock(self, wanted: Iterable[str], *, create: bool = False) -> None:
        """Lock the skus (sorted), load their stock rows. Unknown skus are created when
        `create`, else they stay unlocked and unknown (`known()` is False)."""
        ordered = sorted(set(wanted))
        if not ordered:
            return
        if self.versions:
            # Called twice, a later lock could precede an earlier one in sku order.
            raise RuntimeError("StockLedger.lock() may be called once per transaction")
        session = self.uow.session
        if create:
            await session.execute(
                insert(skus)
                .values([{"sku": s, "created_at": self.now} for s in ordered])
                .on_conflict_do_nothing()
            )
        locked = (
            await session.execute(
                select(skus.c.sku, skus.c.version)
                .where(skus.c.sku.in_(ordered))
                .order_by(skus.c.sku)
                .with_for_update()
            )
        ).all()
        self.versions = {r.sku: r.version for r in locked}
        if not self.versions:
            return
        for r in (
            await session.execute(select(stock).where(stock.c.sku.in_(list(self.versions))))
        ).all():
            self.rows[(r.sku, r.warehouse)] = Row(
                StockLevel(r.sku, r.warehouse, r.on_hand, r.reserved, r.low_stock_threshold),
                r.low_stock_armed,
                r.version,
                r.updated_at,
            )

    def known(self, sku: str) -> bool:
        return sku in self.versions and any(k[0] == sku for k in self.rows)

    def require_known(self, sku: str) -> None:
        if not self.known(sku):
            raise UnknownSku(sku)

    def level(self, sku: str, warehouse: str) -> StockLevel | None:
        row = self.rows.get((sku, warehouse))
        return row.level if row is not None else None

    def levels(self, sku: str) -> list[StockLevel]:
        return [row.level for (s, _), row in self.rows.items() if s == sku]

    def by_sku(self) -> dict[str, list[StockLevel]]:
        return {sku: self.levels(sku) for sku in self.versions}

    def threshold(self, level: StockLevel) -> int:
        return level.threshold if level.threshold is not None else self.default_threshold

    def total_available(self, sku: str) -> int:
        return sum(lv.available for lv in self.levels(sku))

    def view(self, sku: str, warehouse: str) -> StockView:
        row = self.rows[(sku, warehouse)]
        return StockView(row.level, self.threshold(row.level), self.versions[sku], row.updated_at)

    # -- writes ---------------------------------------------------------------------------
    async def ensure_row(self, sku: str, warehouse: str) -> Row:
        """A stock row for a locked sku (created empty, and below any positive threshold,
        so not armed: an empty row is not a crossing)."""
        if sku not in self.versions:
            raise RuntimeError(f"sku {sku} is not locked")
        existing = self.rows.get((sku, warehouse))
        if existing is not None:
            return existing
        await self.uow.session.execute(
            insert(stock)
            .values(sku=sku, warehouse=warehouse, updated_at=self.now)
            .on_conflict_do_nothing()
        )
        row = Row(StockLevel(sku, warehouse, 0, 0), False, 0, self.now)
        self.rows[(sku, warehouse)] = row
        return row

    async def change(
        self,
        sku: str,
        warehouse: str,
        kind: MovementKind,
        *,
        on_hand_delta: int = 0,
        reserved_delta: int = 0,
        reason: str = "",
        reference: str = "",
    ) -> Movement:
        """Apply one change. The conditional UPDATE refuses anything that would make
        on_hand, reserved or available negative, even if a caller's check were wrong."""
        await self.ensure_row(sku, warehouse)
        actor = current_actor()
        # One round trip: the stock row, the sku version and the ledger row change
        # together, or (a condition is false → no row) not at all.
        conn = await self.uow.session.connection()
        updated = (
            await conn.execute(
                CHANGE_SQL,
                {
                    "sku": sku,
                    "wh": warehouse,
                    "dh": on_hand_delta,
                    "dr": reserved_delta,
                    "kind": kind.value,
                    "reason": reason,
                    "reference": reference,
                    "actor": actor,
                    "now": self.now,
                },
            )
        ).first()
        if updated is None:
            before = self.rows[(sku, warehouse)].level
            if reserved_delta > 0:
                raise InsufficientStock({sku: reserved_delta - max(before.available, 0)})
            raise NegativeStock(sku, warehouse, before.on_hand, before.reserved, on_hand_delta)
        level = StockLevel(
            sku, warehouse, updated.on_hand, updated.reserved, updated.low_stock_threshold
        )
        movement_id = int(updated.movement_id)
        self.versions[sku] = int(updated.sku_version)
        self.rows[(sku, warehouse)] = Row(
            level, bool(updated.low_stock_armed), int(updated.version), self.now
        )
        armed = await self._low_stock(level, bool(updated.low_stock_armed))
        self.rows[(sku, warehouse)] = Row(level, armed, int(updated.version), self.now)
        self.changes.append(
            StockMoved(
                level=level,
                total_available=self.total_available(sku),
                kind=kind,
                movement_id=movement_id,
                version=self.versions[sku],
                warehouse_version=int(updated.version),
                at=self.now,
            )
        )
        return Movement(
            movement_id,
            sku,
            warehouse,
            kind,
            on_hand_delta,
            reserved_delta,
            level.on_hand,
            level.reserved,
            reason,
            reference,
            actor,
            self.now,
        )

    async def set_threshold(self, sku: str, warehouse: str, threshold: int | None) -> None:
        row = await self.ensure_row(sku, warehouse)
        await self.uow.session.execute(
            update(stock)
            .where(stock.c.sku == sku, stock.c.warehouse == warehouse)
            .values(low_stock_threshold=threshold, updated_at=self.now)
        )
        level = replace(row.level, threshold=threshold)
        self.rows[(sku, warehouse)] = Row(level, row.armed, row.version, self.now)
        # A new threshold can itself be a crossing (raised above what is available).
        armed = await self._low_stock(level, row.armed)
        self.rows[(sku, warehouse)] = Row(level, armed, row.version, self.now)

    async def _low_stock(self, level: StockLevel, armed: bool) -> bool:
        threshold = self.threshold(level)
        step = low_stock_transition(armed, level.available, threshold)
        if step.armed != armed:
            await self.uow.session.execute(
                update(stock)
                .where(stock.c.sku == level.sku, stock.c.warehouse == level.warehouse)
                .values(low_stock_armed=step.armed)
            )
        if step.alert:
            self.changes.append(
                LowStockCrossed(
                    level=level,
                    threshold=threshold,
                    total_available=self.total_available(level.sku),
                    version=self.versions[level.sku],
                    at=self.now,
                )
            )
        return step.armed

    async def shipment_movements(self, shipment_id: str) -> list[Movement]:
        """The movements a committed shipment left (its replay answers with them)."""
        rows = (
            await self.uow.session.execute(
                select(movements)
                .where(
                    movements.c.reference == shipment_id,
                    movements.c.kind == MovementKind.SHIPMENT.value,
                )
                .order_by(movements.c.id)
            )
        ).all()
        return [movement_of(r) for r in rows]
