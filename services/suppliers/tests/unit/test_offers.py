"""The best offer: cheapest in stock, else cheapest; other currencies through rates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from suppliers.domain.offers import Offer, best_offer, cheapest_first

T0 = datetime(2026, 12, 3, tzinfo=UTC)
RATES = {"RON": Decimal(1), "EUR": Decimal("5")}


def offer(name: str, price: str, *, in_stock: bool = True, currency: str = "RON") -> Offer:
    return Offer(name, name, f"{name}-1", "LED-1", Decimal(price), currency, in_stock, None, T0)


def test_the_cheapest_in_stock_offer_wins_over_a_cheaper_one_out_of_stock() -> None:
    offers = [offer("a", "10"), offer("b", "8", in_stock=False), offer("c", "9")]
    best = best_offer(offers, RATES)
    assert best is not None
    assert best.supplier_id == "c"


def test_when_nothing_is_in_stock_the_cheapest_overall() -> None:
    offers = [offer("a", "10", in_stock=False), offer("b", "8", in_stock=False)]
    best = best_offer(offers, RATES)
    assert best is not None
    assert best.supplier_id == "b"
    assert best_offer([], RATES) is None


def test_prices_in_other_currencies_compare_through_rates() -> None:
    offers = [
        offer("ron", "45"),
        offer("eur", "10", currency="EUR"),
        offer("usd", "1", currency="USD"),
    ]
    ranked = [o.supplier_id for o in cheapest_first(offers, RATES)]
    assert ranked == ["ron", "eur", "usd"]  # 45 < 50; a currency without a rate goes last
