"""What the use cases need from storage, as protocols: the SQL repositories of `db/`
implement them, and the unit tests' in-memory fakes do too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cypher_runtime.db import UnitOfWork
from suppliers.db.orders import SupplierOrders
from suppliers.db.products import HistoryPoint, PriceAlerts, SupplierProducts
from suppliers.db.runs import SyncRuns
from suppliers.db.suppliers import Suppliers
from suppliers.domain.offers import Offer
from suppliers.domain.orders import SupplierOrder
from suppliers.domain.products import PriceAlert, SupplierProduct
from suppliers.domain.supplier import Supplier, SyncStatus
from suppliers.domain.sync import SyncRun
from suppliers.feeds.fetch import Validators


class SupplierStore(Protocol):
    async def get(self, supplier_id: str, *, for_update: bool = False) -> Supplier: ...
    async def add(self, supplier: Supplier) -> None: ...
    async def save(self, supplier: Supplier) -> None: ...
    async def active(self) -> list[Supplier]: ...
    async def validators(self, supplier_id: str) -> Validators: ...
    async def record_sync(
        self,
        supplier_id: str,
        *,
        at: datetime,
        status: SyncStatus,
        validators: Validators | None,
    ) -> None: ...


class ProductStore(Protocol):
    async def by_supplier_skus(
        self, supplier_id: str, supplier_skus: Sequence[str]
    ) -> dict[str, SupplierProduct]: ...
    async def get(self, supplier_id: str, supplier_sku: str) -> SupplierProduct: ...
    async def add_many(self, products: Sequence[SupplierProduct]) -> None: ...
    async def save_many(self, products: Sequence[SupplierProduct]) -> None: ...
    async def seen(self, supplier_id: str, supplier_skus: Sequence[str], at: datetime) -> None: ...
    async def record_history(self, points: Sequence[HistoryPoint]) -> None: ...
    async def offers_for(self, sku: str) -> list[Offer]: ...


class AlertStore(Protocol):
    async def add_many(self, alerts: Sequence[PriceAlert]) -> None: ...
    async def get(self, alert_id: str) -> PriceAlert: ...
    async def save(self, alert: PriceAlert) -> None: ...


class RunStore(Protocol):
    async def running(self, supplier_id: str) -> SyncRun | None: ...
    async def claim(self, run: SyncRun) -> bool: ...
    async def save(self, run: SyncRun) -> None: ...
    async def stale(self, started_before: datetime) -> list[SyncRun]: ...


class OrderStore(Protocol):
    async def add(self, order: SupplierOrder, idempotency_key: str | None) -> bool: ...
    async def by_idempotency_key(self, key: str) -> SupplierOrder | None: ...
    async def get(self, order_id: str, *, for_update: bool = False) -> SupplierOrder: ...
    async def save(self, order: SupplierOrder, loaded_version: int) -> None: ...


@dataclass(frozen=True)
class Stores:
    suppliers: SupplierStore
    products: ProductStore
    alerts: AlertStore
    runs: RunStore
    orders: OrderStore


StoresOf = Callable[[UnitOfWork], Stores]


def sql_stores(uow: UnitOfWork) -> Stores:
    """The PostgreSQL repositories on this unit of work."""
    return Stores(
        suppliers=Suppliers(uow),
        products=SupplierProducts(uow),
        alerts=PriceAlerts(uow),
        runs=SyncRuns(uow),
        orders=SupplierOrders(uow),
    )
