"""What a change of a product means for its price: the facts the service records
(`ProductSaved`, `PriceChanged`) and the rules deciding which of them are announced
(price.updated) and kept in the price history. `events.py` turns the records into
messages; nothing here knows a message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pricing.domain.money import ONE, fraction, round_money
from pricing.domain.product import Product
from pricing.domain.quote import PricedLine


class PriceChangeReason(StrEnum):
    CREATED = "CREATED"
    COST_UPDATED = "COST_UPDATED"
    SUPPLIER_COST = "SUPPLIER_COST"
    MARGIN_UPDATED = "MARGIN_UPDATED"
    PROMOTION = "PROMOTION"
    VAT_CATEGORY = "VAT_CATEGORY"


@dataclass(frozen=True, slots=True)
class ProductSaved:
    """A product was created or changed (announced as product.upserted)."""

    product: Product
    created: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PriceChanged:
    """A product's prices before and after a change, with the effective (shop) price at
    the base tier. `before`/`old` are None when the product was just created."""

    before: Product | None
    after: Product
    old: PricedLine | None
    new: PricedLine
    reason: PriceChangeReason
    detail: str
    at: datetime
    supplier_id: str = ""

    @property
    def announced(self) -> bool:
        """Whether subscribers hear of it: the cost, list price, VAT category or the
        effective price moved (a new product always)."""
        before, after = self.before, self.after
        if before is None or self.old is None:
            return True
        return (
            before.cost != after.cost
            or before.list_price != after.list_price
            or before.vat_category != after.vat_category
            or self.old.unit_net != self.new.unit_net
        )

    @property
    def in_history(self) -> bool:
        """Whether it is a row of the price history: cost, margin or list price moved."""
        before, after = self.before, self.after
        if before is None:
            return True
        return (
            before.cost != after.cost
            or before.margin_pct != after.margin_pct
            or before.list_price != after.list_price
        )

    @property
    def new_list_price_gross(self) -> Decimal:
        return round_money(self.after.list_price * (ONE + fraction(self.new.vat_rate_pct)))


def reprices(before: Product, after: Product) -> bool:
    """Whether a change can move any price: cost, margin, VAT category or category (which
    decides the promotions that apply)."""
    return (
        before.cost != after.cost
        or before.margin_pct != after.margin_pct
        or before.vat_category != after.vat_category
        or before.category != after.category
    )


def reason_of(before: Product, after: Product) -> PriceChangeReason:
    """The reason of an edit, by what moved first: cost, margin, VAT, else the category
    (whose promotions then apply)."""
    if before.cost != after.cost:
        return PriceChangeReason.COST_UPDATED
    if before.margin_pct != after.margin_pct:
        return PriceChangeReason.MARGIN_UPDATED
    if before.vat_category != after.vat_category:
        return PriceChangeReason.VAT_CATEGORY
    return PriceChangeReason.PROMOTION
