"""The warehouses (seeded by migration, changed by hand; read-only to the service)."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.db.tables import warehouses
from inventory.domain.stock import Warehouse, require_text
from inventory.errors import UnknownWarehouse


async def all_warehouses(session: AsyncSession) -> list[Warehouse]:
    """Every warehouse, active or not, highest priority (lowest number) first."""
    rows = (await session.execute(select(warehouses).order_by(warehouses.c.priority))).all()
    return [Warehouse(r.code, r.name, r.priority, r.active) for r in rows]


class WarehouseCache:
    """Warehouses change by migration or by hand, rarely: a short cache saves a query on
    every reservation without making a change wait for a restart."""

    def __init__(self, seconds: float = 10.0) -> None:
        self.seconds = seconds
        self._cached: tuple[float, list[Warehouse]] | None = None

    async def all(self, session: AsyncSession) -> list[Warehouse]:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.seconds:
            return cached[1]
        found = await all_warehouses(session)
        self._cached = (time.monotonic(), found)
        return found

    async def require(self, session: AsyncSession, code: str, field_name: str) -> str:
        """The code of an existing warehouse (case-insensitive), or UnknownWarehouse."""
        code = require_text(field_name, code).upper()
        if code not in {w.code for w in await self.all(session)}:
            raise UnknownWarehouse(code)
        return code
