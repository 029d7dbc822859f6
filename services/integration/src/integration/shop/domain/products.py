"""What the shop must show for one sku, and the rules that derive it.

* `regular_price` — the anonymous (STANDARD tier) customer's gross list price.
* `sale_price` with its window — while a promotion makes the price lower.
* `stock_quantity` — total available over every warehouse; `stock_status` follows it
  (`onbackorder` at zero when the shop takes backorders).
Prices go to the shop as strings with two decimals, the way WooCommerce stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class StockStatus(StrEnum):
    IN_STOCK = "instock"
    OUT_OF_STOCK = "outofstock"
    ON_BACKORDER = "onbackorder"


def stock_status(available: int, *, backorders: bool) -> StockStatus:
    if available > 0:
        return StockStatus.IN_STOCK
    return StockStatus.ON_BACKORDER if backorders else StockStatus.OUT_OF_STOCK


def gross(net: Decimal, vat_rate_pct: Decimal) -> Decimal:
    """Net price plus VAT, half-up to the cent (the pricing service's rounding point)."""
    return (net * (1 + vat_rate_pct / 100)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Sale:
    price: Decimal
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class PriceFacts:
    """The anonymous customer's price of one unit, as pricing computes it."""

    list_net: Decimal
    vat_rate_pct: Decimal
    # Gross price after the discounts that apply to anyone (promotions).
    effective_gross: Decimal
    promotion_id: str
    promotion_starts_at: datetime | None = None
    promotion_ends_at: datetime | None = None


@dataclass(frozen=True)
class ShopProduct:
    sku: str
    name: str
    regular_price: Decimal
    sale: Sale | None
    stock_quantity: int
    stock_status: StockStatus


def shop_product(
    sku: str, name: str, price: PriceFacts, available: int, *, backorders: bool
) -> ShopProduct:
    regular = gross(price.list_net, price.vat_rate_pct)
    effective = price.effective_gross.quantize(CENT, rounding=ROUND_HALF_UP)
    sale = None
    # A sale is shown only for a promotion that really lowers the price; other
    # differences (rounding) never make a product look discounted.
    if price.promotion_id and effective < regular:
        sale = Sale(effective, price.promotion_starts_at, price.promotion_ends_at)
    quantity = max(available, 0)
    return ShopProduct(
        sku=sku,
        name=name,
        regular_price=regular,
        sale=sale,
        stock_quantity=quantity,
        stock_status=stock_status(quantity, backorders=backorders),
    )
