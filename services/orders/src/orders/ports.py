"""What the orders service needs from pricing and inventory, as ports.

The saga and the use cases depend on these abstract classes; `clients.py` implements
them over gRPC and unit tests subclass them with in-memory fakes. A port raises
`DependencyUnavailable` when the other service did not answer and a coded
`DomainError` (passed through unchanged) when it refused.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from orders.domain.model import Backorder, LinePrice
from orders.domain.recovery import ReservationState


@dataclass(frozen=True)
class PricedQuote:
    prices: Mapping[str, LinePrice]
    pricing_date: str
    currency: str


@dataclass(frozen=True)
class ReservationInfo:
    id: str
    order_id: uuid.UUID
    state: ReservationState
    backorders: Sequence[Backorder] = field(default_factory=tuple)


class PricingPort(ABC):
    @abstractmethod
    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedQuote:
        """Price every line for the customer on `pricing_date` ("" = today)."""


class InventoryPort(ABC):
    @abstractmethod
    async def reserve(
        self, *, order_id: uuid.UUID, lines: Mapping[str, int], allow_backorder: bool
    ) -> ReservationInfo:
        """Reserve (idempotent by order id); INSUFFICIENT_STOCK when short and not backorderable."""

    @abstractmethod
    async def confirm_reservation(self, *, order_id: uuid.UUID) -> None:
        """Stop the reservation from expiring (the order is confirmed)."""

    @abstractmethod
    async def release(self, *, order_id: uuid.UUID, reason: str) -> None:
        """Release whatever is reserved for the order (idempotent; tombstones it)."""

    @abstractmethod
    async def get_reservation(self, *, order_id: uuid.UUID) -> ReservationInfo | None:
        """The order's reservation, or None when inventory has none."""
