"""In-memory stand-ins for the use-case tests: the repository (same class, no SQL), a
unit of work that only collects published events, and the pricing/orders ports."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.envelope import Event
from quotations.db import Quotations
from quotations.domain.model import CustomerSnapshot, Quotation, Status
from quotations.domain.numbering import quotation_number
from quotations.errors import CustomerNotFound, VersionConflict, remote_error
from quotations.ports import OrdersPort, PlacedOrder, PricedLines, PricingPort

from .factories import CUSTOMER, priced


class FakeUow(UnitOfWork):
    def __init__(self) -> None:  # no database: only the published events are kept
        self._events: list[Event] = []

    @property
    def events(self) -> list[Event]:
        return list(self._events)


@dataclass
class Store:
    rows: dict[uuid.UUID, tuple[Quotation, str, str]] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)
    documents: dict[uuid.UUID, tuple[str, bytes]] = field(default_factory=dict)


class FakeQuotations(Quotations):
    def __init__(self, store: Store) -> None:  # the SQL session is not used
        self.store = store

    def _copy(self, q: Quotation) -> Quotation:
        # As a row would: the data, never the changes not yet published.
        stored = copy.deepcopy(q)
        stored.changes = []
        return stored

    async def get(self, quotation_id: uuid.UUID, *, for_update: bool = False) -> Quotation | None:
        row = self.store.rows.get(quotation_id)
        return self._copy(row[0]) if row else None

    async def find_by_key(self, key: str) -> tuple[Quotation, str] | None:
        for q, k, h in self.store.rows.values():
            if k == key:
                return self._copy(q), h
        return None

    async def find_by_source_order(self, order_id: uuid.UUID) -> Quotation | None:
        for q, _, _ in self.store.rows.values():
            if q.source_order_id == order_id:
                return self._copy(q)
        return None

    async def lock_numbering(self, year: int) -> None:
        self.store.counters.setdefault(year, 0)

    async def next_number(self, year: int) -> str:
        self.store.counters[year] += 1
        return quotation_number(year, self.store.counters[year])

    async def add(self, q: Quotation, *, idempotency_key: str = "", request_hash: str = "") -> None:
        self.store.rows[q.id] = (self._copy(q), idempotency_key, request_hash)

    async def save(self, q: Quotation, *, loaded_version: int) -> None:
        stored, key, digest = self.store.rows[q.id]
        if stored.version != loaded_version:
            raise VersionConflict("changed meanwhile")
        self.store.rows[q.id] = (self._copy(q), key, digest)

    async def claim_expired(self, now: datetime, limit: int) -> list[Quotation]:
        due = [q for q, _, _ in self.store.rows.values() if q.is_expired_at(now)]
        return [self._copy(q) for q in due[:limit]]

    async def claim_reminders(self, now: datetime, limit: int) -> list[Quotation]:
        due = [
            q
            for q, _, _ in self.store.rows.values()
            if q.status is Status.SENT and q.next_reminder_at and q.next_reminder_at <= now
        ]
        return [self._copy(q) for q in due[:limit]]

    async def store_document(
        self, quotation_id: uuid.UUID, filename: str, content: bytes, at: datetime
    ) -> None:
        self.store.documents[quotation_id] = (filename, content)

    async def document(self, quotation_id: uuid.UUID) -> tuple[str, bytes] | None:
        return self.store.documents.get(quotation_id)


class FakePricing(PricingPort):
    """Unit net = the product's price; an unknown sku is refused as pricing does."""

    def __init__(self, prices: Mapping[str, str]) -> None:
        self.prices = dict(prices)
        self.calls = 0

    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedLines:
        self.calls += 1
        unknown = [s for s in lines if s not in self.prices]
        if unknown:
            raise remote_error(
                "PRODUCT_NOT_FOUND",
                CustomerNotFound.kind,
                f"product {unknown[0]} not found",
                {"sku": unknown[0]},
            )
        return PricedLines(
            lines=[priced(s, q, self.prices[s]) for s, q in lines.items()],
            pricing_date=pricing_date or "2026-12-03",
        )


class FakeOrders(OrdersPort):
    def __init__(self, customers: set[uuid.UUID]) -> None:
        self.customers = customers
        self.orders: dict[uuid.UUID, PlacedOrder] = {}

    async def get_customer(self, customer_id: uuid.UUID) -> CustomerSnapshot:
        if customer_id not in self.customers:
            raise CustomerNotFound(f"customer {customer_id} not found")
        return replace(CUSTOMER)

    async def create_order(self, quotation: Quotation, *, allow_backorder: bool) -> PlacedOrder:
        placed = self.orders.get(quotation.id)
        if placed is None:
            placed = PlacedOrder(
                id=uuid.uuid4(),
                number=f"CMD-2026-{len(self.orders) + 1:06d}",
                status="ORDER_CONFIRMED",
                replayed=False,
            )
            self.orders[quotation.id] = placed
            return placed
        return replace(placed, replayed=True)
