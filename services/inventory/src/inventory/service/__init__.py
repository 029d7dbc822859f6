"""The inventory use cases, one module per aggregate (`reservations`, `stock`), behind
one `InventoryService`. Each use case takes the caller's unit of work (a gRPC method
runs it in `in_transaction`, a consumer in the inbox's), loads what it needs under the
locking rule of `db.stock`, asks the domain what to do, writes the result, queues the
events with `uow.publish` and never commits (services/README.md)."""

from __future__ import annotations

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from inventory.domain.stock import Warehouse
from inventory.service.reservations import (
    CommitResult,
    ReleaseResult,
    ReservationUseCases,
    ReserveResult,
)
from inventory.service.stock import StockChanged, StockUseCases, TransferResult
from inventory.service.stockroom import Policy, Stockroom

__all__ = [
    "CommitResult",
    "InventoryService",
    "Policy",
    "ReleaseResult",
    "ReserveResult",
    "StockChanged",
    "TransferResult",
]


class InventoryService:
    def __init__(self, clock: Clock, policy: Policy | None = None) -> None:
        self.room = Stockroom(clock, policy or Policy())
        self.reservations = ReservationUseCases(self.room)
        self.stock = StockUseCases(self.room)

    async def warehouses(self, uow: UnitOfWork) -> list[Warehouse]:
        return await self.room.warehouses(uow)
