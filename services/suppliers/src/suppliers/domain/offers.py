"""Offers: what suppliers ask for one of our skus, and which one is best. Prices in
another currency are compared through the configured exchange rates; an offer in a
currency without a rate ranks after every comparable one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Offer:
    supplier_id: str
    supplier_name: str
    supplier_sku: str
    sku: str
    price: Decimal
    currency: str
    in_stock: bool
    stock_quantity: int | None
    updated_at: datetime


def _cost_key(offer: Offer, rates: Mapping[str, Decimal]) -> tuple[int, Decimal, str, str]:
    rate = rates.get(offer.currency)
    if rate is None:
        return (1, offer.price, offer.supplier_name, offer.supplier_sku)
    return (0, offer.price * rate, offer.supplier_name, offer.supplier_sku)


def cheapest_first(offers: Iterable[Offer], rates: Mapping[str, Decimal]) -> list[Offer]:
    return sorted(offers, key=lambda o: _cost_key(o, rates))


def best_offer(offers: Iterable[Offer], rates: Mapping[str, Decimal]) -> Offer | None:
    """The cheapest in-stock offer; the cheapest overall when none is in stock."""
    ranked = cheapest_first(offers, rates)
    in_stock = [o for o in ranked if o.in_stock]
    if in_stock:
        return in_stock[0]
    return ranked[0] if ranked else None
