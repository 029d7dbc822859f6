"""What the quotations service needs from pricing and orders, as ports.

The use cases depend on these abstract classes; `clients.py` implements them over
gRPC and unit tests subclass them with in-memory fakes. A port raises
`DependencyUnavailable` when the other service did not answer and the other
service's coded error (unknown sku, unknown customer, insufficient stock…) unchanged
when it refused.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quotations.domain.model import CustomerSnapshot, LinePrice, Quotation


@dataclass(frozen=True)
class PricedLines:
    """Pricing's answer, in the order of the request's lines."""

    lines: Sequence[LinePrice]
    pricing_date: str


@dataclass(frozen=True)
class PlacedOrder:
    id: uuid.UUID
    number: str
    status: str
    replayed: bool


class PricingPort(ABC):
    @abstractmethod
    async def quote_lines(
        self, *, customer_id: uuid.UUID, lines: Mapping[str, int], pricing_date: str
    ) -> PricedLines:
        """Price every line for the customer on `pricing_date` ("" = today)."""


class OrdersPort(ABC):
    @abstractmethod
    async def get_customer(self, customer_id: uuid.UUID) -> CustomerSnapshot:
        """The customer's billing data; CUSTOMER_NOT_FOUND when orders has no such one."""

    @abstractmethod
    async def create_order(self, quotation: Quotation, *, allow_backorder: bool) -> PlacedOrder:
        """Place (or, for a quote request, confirm) the order of an accepted quotation
        with its locked prices. Idempotent by quotation id on the orders side: the same
        quotation always gets the same order back."""
