"""Reads for list and report screens: availability, the movement ledger, low stock,
warehouses, one reservation, and the reconciliation report. They never write; lists
page with `cypher_runtime.paging` (a cursor a list did not issue is a 400)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, text, tuple_

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database, session_scope
from cypher_runtime.paging import CURSOR_FIELD, CursorCodec, page_limit
from inventory.db.reservations import HOLDING_STATUSES, Reservations
from inventory.db.stock import movement_of
from inventory.db.tables import movements, skus, stock, warehouses
from inventory.db.warehouses import all_warehouses
from inventory.domain.reconciliation import LedgerFigures, reconcile
from inventory.domain.reservation import Reservation
from inventory.domain.stock import (
    Movement,
    MovementKind,
    StockLevel,
    StockView,
    Warehouse,
    require_text,
)
from inventory.errors import ReservationNotFound, ValidationFailed

MOVEMENTS_CURSOR = CursorCodec("inventory.movements", (int,))
LOW_STOCK_CURSOR = CursorCodec("inventory.low_stock", (str, str))

# Recomputes every sku×warehouse from the ledger and from the active reservations.
RECONCILE_SQL = text(
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


class InventoryQueries:
    def __init__(self, db: Database, clock: Clock, default_threshold: int) -> None:
        self.db = db
        self.clock = clock
        self.default_threshold = default_threshold

    def _view(self, row: Any) -> StockView:
        level = StockLevel(row.sku, row.warehouse, row.on_hand, row.reserved, row.threshold)
        effective = level.threshold if level.threshold is not None else self.default_threshold
        return StockView(level, effective, row.sku_version, row.updated_at)

    def _stock_rows(self) -> Any:
        return select(
            stock.c.sku,
            stock.c.warehouse,
            stock.c.on_hand,
            stock.c.reserved,
            stock.c.low_stock_threshold.label("threshold"),
            stock.c.updated_at,
            skus.c.version.label("sku_version"),
        ).join(skus, skus.c.sku == stock.c.sku)

    async def availability(self, wanted: Sequence[str]) -> list[SkuStock]:
        """Each requested sku in request order, its warehouses by priority; an sku with no
        stock has none (zero availability, never NOT_FOUND)."""
        names = [s.strip() for s in wanted]
        stmt = (
            self._stock_rows()
            .join(warehouses, warehouses.c.code == stock.c.warehouse)
            .where(stock.c.sku.in_(set(names)))
            .order_by(stock.c.sku, warehouses.c.priority)
        )
        async with session_scope(self.db) as session:
            rows = (await session.execute(stmt)).all()
        views: dict[str, list[StockView]] = {}
        for r in rows:
            views.setdefault(r.sku, []).append(self._view(r))
        return [SkuStock(sku, views.get(sku, [])) for sku in names]

    async def reservation(self, order_id: str) -> Reservation:
        wanted = require_text("order_id", order_id)
        async with self.db.unit_of_work() as uow:  # read only: never committed
            found = await Reservations(uow).get(wanted)
        if found is None:
            raise ReservationNotFound(wanted)
        return found

    async def warehouses(self, *, limit: int = 0, cursor: str = "") -> list[Warehouse]:
        """All of them: the list is one page, so it issues no cursor and accepts none
        (the page request is validated like any other, then the size is not needed)."""
        page_limit(limit)
        if cursor:
            raise ValidationFailed({CURSOR_FIELD: "is not a cursor this list issued"})
        async with session_scope(self.db) as session:
            return await all_warehouses(session)

    async def movements(
        self, *, sku: str, warehouse: str, kinds: Sequence[MovementKind], limit: int, cursor: str
    ) -> tuple[list[Movement], str]:
        """Newest first; the page and the cursor of the next one ("" at the end)."""
        size = page_limit(limit)
        after = MOVEMENTS_CURSOR.decode(cursor)
        m = movements
        stmt = select(m).order_by(m.c.id.desc()).limit(size + 1)
        if sku.strip():
            stmt = stmt.where(m.c.sku == sku.strip())
        if warehouse.strip():
            stmt = stmt.where(m.c.warehouse == warehouse.strip().upper())
        if kinds:
            stmt = stmt.where(m.c.kind.in_([k.value for k in kinds]))
        if after is not None:
            stmt = stmt.where(m.c.id < after[0])
        async with session_scope(self.db) as session:
            rows = (await session.execute(stmt)).all()
        page = [movement_of(r) for r in rows[:size]]
        last = [page[-1].id] if page else [0]
        return page, MOVEMENTS_CURSOR.next_cursor(rows, size, last)

    async def low_stock(
        self, *, warehouse: str, limit: int, cursor: str
    ) -> tuple[list[StockView], str]:
        """Rows whose available is below their threshold, by sku and warehouse."""
        size = page_limit(limit)
        after = LOW_STOCK_CURSOR.decode(cursor)
        threshold = func.coalesce(stock.c.low_stock_threshold, literal(self.default_threshold))
        stmt = (
            self._stock_rows()
            .where(stock.c.on_hand - stock.c.reserved < threshold)
            .order_by(stock.c.sku, stock.c.warehouse)
            .limit(size + 1)
        )
        if warehouse.strip():
            stmt = stmt.where(stock.c.warehouse == warehouse.strip().upper())
        if after is not None:
            stmt = stmt.where(
                tuple_(stock.c.sku, stock.c.warehouse)
                > tuple_(literal(after[0]), literal(after[1]))
            )
        async with session_scope(self.db) as session:
            rows = (await session.execute(stmt)).all()
        page = [self._view(r) for r in rows[:size]]
        last = [page[-1].level.sku, page[-1].level.warehouse] if page else ["", ""]
        return page, LOW_STOCK_CURSOR.next_cursor(rows, size, last)

    async def reconcile(self, wanted: Sequence[str] = ()) -> ReconcileReport:
        """Recompute stock from the ledger and the active reservations; read-only, in one
        REPEATABLE READ snapshot so concurrent traffic cannot look like a mismatch."""
        names = [s.strip() for s in wanted if s.strip()]
        now = self.clock.now()
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                rows = (
                    await conn.execute(
                        RECONCILE_SQL, {"holding": list(HOLDING_STATUSES), "skus": names}
                    )
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
            mismatches=[Mismatch(f, description) for f, description in reconcile(figures)],
        )
