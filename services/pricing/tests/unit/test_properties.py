"""Property-based checks of the price formula (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.domain.defaults import default_rules
from pricing.domain.money import fraction
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

    assert line.unit_net >= cost * (1 + fraction(floor))
    assert line.unit_net == line.unit_net.quantize(Decimal("0.01"))


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
