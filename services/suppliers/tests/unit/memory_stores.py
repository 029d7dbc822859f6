"""In-memory stores implementing the use cases' ports (service/ports.py) and a unit of
work that only collects published events: use cases run without I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.envelope import Event
from suppliers.db.products import HistoryPoint
from suppliers.domain.offers import Offer
from suppliers.domain.orders import SupplierOrder
from suppliers.domain.products import PriceAlert, SupplierProduct
from suppliers.domain.supplier import Supplier, SyncStatus
from suppliers.domain.sync import SyncRun
from suppliers.errors import (
    DuplicateSupplier,
    PriceAlertNotFound,
    SupplierNotFound,
    SupplierOrderNotFound,
    SupplierProductNotFound,
)
from suppliers.feeds.fetch import Validators
from suppliers.service.ports import Stores


class MemorySuppliers:
    def __init__(self) -> None:
        self.rows: dict[str, Supplier] = {}

    async def get(self, supplier_id: str, *, for_update: bool = False) -> Supplier:
        if supplier_id not in self.rows:
            raise SupplierNotFound(supplier_id)
        return self.rows[supplier_id]

    async def add(self, supplier: Supplier) -> None:
        if any(s.name.lower() == supplier.name.lower() for s in self.rows.values()):
            raise DuplicateSupplier(supplier.name)
        self.rows[supplier.id] = supplier

    async def save(self, supplier: Supplier) -> None:
        self.rows[supplier.id] = supplier

    async def active(self) -> list[Supplier]:
        return [s for s in self.rows.values() if s.active]

    async def validators(self, supplier_id: str) -> Validators:
        return Validators()

    async def record_sync(
        self, supplier_id: str, *, at: datetime, status: SyncStatus, validators: Validators | None
    ) -> None:
        self.rows[supplier_id] = replace(
            self.rows[supplier_id], last_sync_at=at, last_sync_status=status
        )


class MemoryProducts:
    def __init__(self, suppliers: MemorySuppliers) -> None:
        self.suppliers = suppliers
        self.rows: dict[tuple[str, str], SupplierProduct] = {}
        self.history: list[HistoryPoint] = []

    async def by_supplier_skus(
        self, supplier_id: str, supplier_skus: Sequence[str]
    ) -> dict[str, SupplierProduct]:
        return {
            code: self.rows[(supplier_id, code)]
            for code in supplier_skus
            if (supplier_id, code) in self.rows
        }

    async def get(self, supplier_id: str, supplier_sku: str) -> SupplierProduct:
        found = self.rows.get((supplier_id, supplier_sku))
        if found is None:
            raise SupplierProductNotFound(supplier_sku)
        return found

    async def add_many(self, products: Sequence[SupplierProduct]) -> None:
        for p in products:
            self.rows[(p.supplier_id, p.supplier_sku)] = p

    async def save_many(self, products: Sequence[SupplierProduct]) -> None:
        await self.add_many(products)

    async def seen(self, supplier_id: str, supplier_skus: Sequence[str], at: datetime) -> None:
        for code in supplier_skus:
            key = (supplier_id, code)
            self.rows[key] = replace(self.rows[key], last_seen_at=at)

    async def record_history(self, points: Sequence[HistoryPoint]) -> None:
        self.history.extend(points)

    async def offers_for(self, sku: str) -> list[Offer]:
        return [
            Offer(
                p.supplier_id,
                self.suppliers.rows[p.supplier_id].name,
                p.supplier_sku,
                sku,
                p.price,
                p.currency,
                p.in_stock,
                p.stock_quantity,
                p.last_seen_at,
            )
            for p in self.rows.values()
            if p.sku == sku and self.suppliers.rows[p.supplier_id].active
        ]


class MemoryAlerts:
    def __init__(self) -> None:
        self.rows: dict[str, PriceAlert] = {}

    async def add_many(self, alerts: Sequence[PriceAlert]) -> None:
        self.rows.update({a.id: a for a in alerts})

    async def get(self, alert_id: str) -> PriceAlert:
        if alert_id not in self.rows:
            raise PriceAlertNotFound(alert_id)
        return self.rows[alert_id]

    async def save(self, alert: PriceAlert) -> None:
        self.rows[alert.id] = alert


class MemoryRuns:
    def __init__(self) -> None:
        self.rows: dict[str, SyncRun] = {}

    async def running(self, supplier_id: str) -> SyncRun | None:
        return next(
            (
                r
                for r in self.rows.values()
                if r.supplier_id == supplier_id and r.status == "RUNNING"
            ),
            None,
        )

    async def claim(self, run: SyncRun) -> bool:
        taken = any(
            r.supplier_id == run.supplier_id
            and (r.status == "RUNNING" or (run.slot is not None and r.slot == run.slot))
            for r in self.rows.values()
        )
        if not taken:
            self.rows[run.id] = run
        return not taken

    async def save(self, run: SyncRun) -> None:
        self.rows[run.id] = run

    async def stale(self, started_before: datetime) -> list[SyncRun]:
        return [
            r for r in self.rows.values() if r.status == "RUNNING" and r.started_at < started_before
        ]


class MemoryOrders:
    def __init__(self) -> None:
        self.rows: dict[str, SupplierOrder] = {}
        self.keys: dict[str, str] = {}

    async def add(self, order: SupplierOrder, idempotency_key: str | None) -> bool:
        if idempotency_key and idempotency_key in self.keys:
            return False
        self.rows[order.id] = order
        if idempotency_key:
            self.keys[idempotency_key] = order.id
        return True

    async def by_idempotency_key(self, key: str) -> SupplierOrder | None:
        return self.rows.get(self.keys.get(key, ""))

    async def get(self, order_id: str, *, for_update: bool = False) -> SupplierOrder:
        if order_id not in self.rows:
            raise SupplierOrderNotFound(order_id)
        return self.rows[order_id]

    async def save(self, order: SupplierOrder, loaded_version: int) -> None:
        self.rows[order.id] = order


@dataclass
class MemoryUow:
    """Stands in for the unit of work: the use cases only publish through it."""

    published: list[Event] = field(default_factory=list)

    def publish(self, *events: Event) -> None:
        self.published.extend(events)


@dataclass
class Memory:
    suppliers: MemorySuppliers = field(default_factory=MemorySuppliers)
    alerts: MemoryAlerts = field(default_factory=MemoryAlerts)
    runs: MemoryRuns = field(default_factory=MemoryRuns)
    orders: MemoryOrders = field(default_factory=MemoryOrders)
    uow_: MemoryUow = field(default_factory=MemoryUow)

    def __post_init__(self) -> None:
        self.products = MemoryProducts(self.suppliers)

    @property
    def uow(self) -> UnitOfWork:
        return cast(UnitOfWork, self.uow_)

    def stores(self, uow: UnitOfWork) -> Stores:
        return Stores(self.suppliers, self.products, self.alerts, self.runs, self.orders)
