"""Prices of order lines: the priced line as pricing (or a quotation) fixed it, and the
order totals computed from those lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal) -> Decimal:
    """Half-up to 2 places (the documented rounding point for totals)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LinePrice:
    """One line priced by pricing or locked by a quotation, kept exactly as it was
    quoted so documents show what the customer was offered.

    Amounts are in `currency`; an amount pricing did not give is None (never 0, so a
    document does not show a price nobody quoted). Percentages are decimal percents
    ("21" = 21 %). `tier` and `vat_category` are pricing's names ("TIER_1",
    "VAT_CATEGORY_STANDARD"; "" when not given)."""

    sku: str
    quantity: int
    currency: str = "RON"
    unit_cost: Decimal | None = None
    list_price: Decimal | None = None
    tier: str = ""
    tier_discount_pct: Decimal | None = None
    volume_discount_pct: Decimal | None = None
    promotion_discount_pct: Decimal | None = None
    unit_net: Decimal | None = None
    vat_rate: Decimal | None = None
    unit_gross: Decimal | None = None
    line_net: Decimal | None = None
    line_vat: Decimal | None = None
    line_gross: Decimal | None = None
    margin_pct: Decimal | None = None
    margin_floor_applied: bool = False
    promotion_id: str = ""
    vat_category: str = ""
    name: str = ""
    unit: str = ""
    pricing_date: str = ""


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal


def totals_of(prices: list[LinePrice]) -> Totals:
    return Totals(
        net=money(sum((p.line_net or ZERO for p in prices), ZERO)),
        vat=money(sum((p.line_vat or ZERO for p in prices), ZERO)),
        gross=money(sum((p.line_gross or ZERO for p in prices), ZERO)),
    )


@dataclass(frozen=True)
class PricedQuote:
    """Pricing's answer for the lines of an order."""

    prices: Mapping[str, LinePrice]
    pricing_date: str
    currency: str
