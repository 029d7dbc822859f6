"""What the shop sync needs from the rest of CYPHER: the catalogue (pricing: products,
the anonymous price, promotions; inventory: availability). The adapter is `catalog`;
unit tests pass an in-memory fake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from integration.shop.domain.products import ShopProduct


@dataclass(frozen=True)
class Resolved:
    products: dict[str, ShopProduct] = field(default_factory=dict)
    # sku → why it cannot be shown (unknown or inactive product): a per-item failure.
    errors: dict[str, str] = field(default_factory=dict)


class CatalogUnavailable(Exception):
    """Pricing or inventory did not answer: nothing can be pushed now (items wait)."""


class CatalogPort(Protocol):
    async def skus_page(self, cursor: str, limit: int) -> tuple[list[str], str]:
        """One page of active skus in sku order and the next cursor ("" = last)."""
        ...

    async def resolve(self, skus: Sequence[str]) -> Resolved:
        """What the shop must show for each sku, now."""
        ...
