"""What every inventory use case works with: the clock, the policy, the warehouses, a
stock ledger per transaction, and publishing what the ledger and the reservations
recorded (through `events.py`) at the end of a use case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from inventory import events
from inventory.db.stock import StockLedger
from inventory.db.warehouses import WarehouseCache
from inventory.domain.reservation import (
    DEFAULT_BACKORDER_LEAD,
    DEFAULT_RESERVATION_TTL,
    Reservation,
)
from inventory.domain.stock import DEFAULT_LOW_STOCK_THRESHOLD, Warehouse


@dataclass(frozen=True)
class Policy:
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD
    reservation_ttl: timedelta = DEFAULT_RESERVATION_TTL
    backorder_lead: timedelta = DEFAULT_BACKORDER_LEAD


class Stockroom:
    def __init__(self, clock: Clock, policy: Policy) -> None:
        self.clock = clock
        self.policy = policy
        self._warehouses = WarehouseCache()

    def ledger(self, uow: UnitOfWork, now: datetime) -> StockLedger:
        return StockLedger(uow, now=now, default_threshold=self.policy.low_stock_threshold)

    @staticmethod
    def publish(
        uow: UnitOfWork, ledger: StockLedger, now: datetime, *reservations: Reservation
    ) -> None:
        uow.publish(*events.published(ledger.changes, reservations, now))

    async def warehouses(self, uow: UnitOfWork) -> list[Warehouse]:
        return await self._warehouses.all(uow.session)

    async def require_warehouse(self, uow: UnitOfWork, code: str, field_name: str) -> str:
        return await self._warehouses.require(uow.session, code, field_name)
