"""Property-based checks of the price formula (hypothesis)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pricing.domain.defaults import default_rules
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.quote import price_line, quote
from pricing.domain.rules import Tier, VatCategory

RULES = default_rules()
NOW = datetime(2025, 9, 1, tzinfo=UTC)
ON = date(2025, 9, 1)

costs = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False)
margins = st.decimals(min_value=0, max_value=200, places=2, allow_nan=False)
floors = st.decimals(min_value=0, max_value=50, places=2, allow_nan=False)
promo_pcts = st.one_of(st.none(), st.decimals(min_value="0.01", max_value="99.99", places=2))
tiers = st.sampled_from(list(Tier))
quantities = st.integers(min_value=1, max_value=1_000_000)
vat_categories = st.sampled_from(list(VatCategory))


# The oracle: BUSINESS_RULES.md's numbers and formula, in exact rational arithmetic with
# the rounding written out on integers — nothing taken from the code under test.
TIER_PCT = {Tier.STANDARD: 0, Tier.TIER_1: 5, Tier.TIER_2: 10, Tier.TIER_3: 15}
VOLUME_PCT = ((100, 8), (50, 5), (10, 2))


def volume_pct(quantity: int) -> int:
    return next((pct for least, pct in VOLUME_PCT if quantity >= least), 0)


def _cents(value: Fraction) -> Decimal:
    return Decimal(int(value)) / 100  # value is a whole number of cents here


def oracle_unit_net(
    cost: Decimal,
    margin: Decimal,
    tier_pct: int,
    volume: int,
    promo: Decimal,
    floor: Decimal,
) -> tuple[Decimal, bool]:
    """(unit net, whether the margin floor was applied): the formula rounded half-up to
    the cent once; below cost × (1 + floor), the floor rounded up to the cent instead."""
    raw = (
        Fraction(cost)
        * (1 + Fraction(margin) / 100)
        * (1 - Fraction(tier_pct, 100))
        * (1 - Fraction(volume, 100))
        * (1 - Fraction(promo) / 100)
    )
    half_up = Fraction(math.floor(raw * 100 + Fraction(1, 2)))
    lowest = Fraction(cost) * (1 + Fraction(floor) / 100)
    if half_up / 100 < lowest:
        return _cents(Fraction(math.ceil(lowest * 100))), True
    return _cents(half_up), False


def make_product(sku: str, cost: Decimal, margin: Decimal, vat: VatCategory) -> Product:
    return Product(
        sku=sku,
        name=sku,
        category="c",
        unit="buc",
        cost=cost,
        margin_pct=margin,
        currency="RON",
        vat_category=vat,
    )


def make_promo(pct: Decimal | None) -> Promotion | None:
    if pct is None:
        return None
    return Promotion("p", "p", "A", None, pct, NOW, NOW.replace(year=2026), NOW)


@settings(max_examples=300, deadline=None)
@given(costs, margins, floors, promo_pcts, tiers, quantities)
# 0.95 × 1.10 = 1.045 exactly: half-up gives 1.05 (half-even would give 1.04).
@example(Decimal("0.95"), Decimal(10), Decimal(0), None, Tier.STANDARD, 1)
# 33.33 × 0.90 = 29.997, under a 5 % floor of 34.9965: the floor, rounded up to 35.00.
@example(Decimal("33.33"), Decimal(0), Decimal(5), Decimal(10), Tier.STANDARD, 1)
def test_unit_net_is_never_below_the_margin_floor(
    cost: Decimal,
    margin: Decimal,
    floor: Decimal,
    promo: Decimal | None,
    tier: Tier,
    qty: int,
) -> None:
    line = price_line(
        make_product("A", cost, margin, VatCategory.STANDARD),
        qty,
        tier=RULES.tier_rule(tier),
        rules=RULES,
        promotion=make_promo(promo),
        on=ON,
        floor_pct=floor,
    )

    expected, floor_applied = oracle_unit_net(
        cost, margin, TIER_PCT[tier], volume_pct(qty), promo or Decimal(0), floor
    )
    assert line.unit_net >= Fraction(cost) * (1 + Fraction(floor) / 100)
    assert (line.unit_net, line.margin_floor_applied) == (expected, floor_applied)


@settings(max_examples=300, deadline=None)
@given(costs, margins, floors, promo_pcts, tiers, quantities, quantities)
def test_a_larger_quantity_never_raises_the_unit_price(
    cost: Decimal,
    margin: Decimal,
    floor: Decimal,
    promo: Decimal | None,
    tier: Tier,
    q1: int,
    q2: int,
) -> None:
    small, large = sorted((q1, q2))
    product = make_product("A", cost, margin, VatCategory.STANDARD)

    def unit(qty: int) -> Decimal:
        return price_line(
            product,
            qty,
            tier=RULES.tier_rule(tier),
            rules=RULES,
            promotion=make_promo(promo),
            on=ON,
            floor_pct=floor,
        ).unit_net

    assert unit(large) <= unit(small)


line_specs = st.lists(
    st.tuples(costs, margins, vat_categories, quantities), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(line_specs, tiers, st.sampled_from([date(2025, 7, 31), date(2025, 8, 1)]))
def test_document_totals_equal_the_sum_of_lines(
    specs: list[tuple[Decimal, Decimal, VatCategory, int]], tier: Tier, on: date
) -> None:
    products = {
        f"S{i}": make_product(f"S{i}", cost, margin, vat)
        for i, (cost, margin, vat, _) in enumerate(specs)
    }
    q = quote(
        [(f"S{i}", qty) for i, (*_, qty) in enumerate(specs)],
        products=products,
        promotions=(),
        tier=tier,
        rules=RULES,
        at=NOW,
        on=on,
        floor_pct=Decimal(0),
    )

    assert q.totals.net == sum((line.line_net for line in q.lines), Decimal(0))
    assert q.totals.vat == sum((line.line_vat for line in q.lines), Decimal(0))
    assert q.totals.gross == q.totals.net + q.totals.vat
    for line in q.lines:
        assert line.line_net == line.unit_net * line.quantity
        assert line.line_vat == line.line_vat.quantize(Decimal("0.01"))
        assert line.line_gross == line.line_net + line.line_vat
