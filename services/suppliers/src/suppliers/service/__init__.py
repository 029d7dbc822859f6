"""The suppliers use cases: one `SuppliersService` made of a module per aggregate."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from cypher_runtime.clock import Clock
from suppliers.service.catalog import CatalogUseCases
from suppliers.service.orders import BackorderLine, OrderUseCases
from suppliers.service.policy import Context, Policy
from suppliers.service.ports import StoresOf, sql_stores
from suppliers.service.suppliers import SupplierUseCases

__all__ = ["BackorderLine", "Policy", "SuppliersService"]


def _uuid() -> str:
    return str(uuid.uuid4())


class SuppliersService(SupplierUseCases, CatalogUseCases, OrderUseCases):
    """Use cases take the caller's unit of work and never commit (services/README.md)."""

    def __init__(
        self,
        clock: Clock,
        policy: Policy,
        new_id: Callable[[], str] = _uuid,
        stores: StoresOf = sql_stores,
    ) -> None:
        self.ctx = Context(clock=clock, policy=policy, new_id=new_id, stores=stores)
