"""The price formula, rounding, margin floor, promotions and document totals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from pricing.domain.defaults import default_rules
from pricing.domain.product import Product
from pricing.domain.promotion import Promotion
from pricing.domain.quote import price_line, quote
from pricing.domain.rules import Tier, VatCategory
from pricing.errors import ProductInactive, ProductNotFound, ValidationFailed

RULES = default_rules()
NOW = datetime(2025, 8, 1, 10, 0, tzinfo=UTC)
AUG_1 = date(2025, 8, 1)


def product(
    sku: str = "LED-1",
    *,
    cost: str = "100",
    margin: str = "35",
    category: str = "bulbs",
    currency: str = "RON",
    vat: VatCategory = VatCategory.STANDARD,
    active: bool = True,
) -> Product:
    return Product(
        sku=sku,
        name=f"Product {sku}",
        category=category,
        unit="buc",
        cost=Decimal(cost),
        margin_pct=Decimal(margin),
        currency=currency,
        vat_category=vat,
        active=active,
    )


def promo(
    pct: str,
    *,
    sku: str | None = "LED-1",
    category: str | None = None,
    starts: datetime = NOW - timedelta(days=1),
    ends: datetime = NOW + timedelta(days=1),
    id: str = "p1",
) -> Promotion:
    return Promotion(
        id=id,
        name="sale",
        sku=sku,
        category=category,
        discount_pct=Decimal(pct),
        starts_at=starts,
        ends_at=ends,
        created_at=starts,
    )


def price(
    p: Product,
    qty: int = 1,
    *,
    tier: Tier = Tier.STANDARD,
    promotions: tuple[Promotion, ...] = (),
    at: datetime = NOW,
    on: date = AUG_1,
    floor: str = "0",
) -> tuple[Decimal, bool, Decimal]:
    q = quote(
        [(p.sku, qty)],
        products={p.sku: p},
        promotions=promotions,
        tier=tier,
        rules=RULES,
        at=at,
        on=on,
        floor_pct=Decimal(floor),
    )
    line = q.lines[0]
    return line.unit_net, line.margin_floor_applied, line.margin_pct


def test_list_price_is_cost_plus_margin_rounded_half_up() -> None:
    assert product(cost="10.005", margin="0").list_price == Decimal("10.01")
    assert product(cost="100", margin="35").list_price == Decimal("135.00")


def test_worked_example_tier_and_volume_rounded_once_half_up() -> None:
    q = quote(
        [("LED-1", 10)],
        products={"LED-1": product()},
        promotions=(),
        tier=Tier.TIER_1,
        rules=RULES,
        at=NOW,
        on=AUG_1,
        floor_pct=Decimal(0),
    )
    line = q.lines[0]

    # 100 × 1.35 × 0.95 × 0.98 = 125.685 → 125.69 (half-up, not banker's 125.68)
    assert line.unit_net == Decimal("125.69")
    assert line.tier_discount_pct == Decimal(5)
    assert line.volume_discount_pct == Decimal(2)
    assert line.line_net == Decimal("1256.90")
    assert line.vat_rate_pct == Decimal(21)
    assert line.line_vat == Decimal("263.95")  # 263.949
    assert line.line_gross == Decimal("1520.85")
    assert line.unit_gross == Decimal("152.08")  # 152.0849
    assert line.margin_pct == Decimal("25.69")
    assert not line.margin_floor_applied
    assert q.totals.net == Decimal("1256.90")
    assert q.totals.vat == Decimal("263.95")
    assert q.totals.gross == Decimal("1520.85")


def test_vat_of_a_line_priced_on_31_july_2025_is_19_percent() -> None:
    q = quote(
        [("LED-1", 1)],
        products={"LED-1": product()},
        promotions=(),
        tier=Tier.STANDARD,
        rules=RULES,
        at=NOW,
        on=date(2025, 7, 31),
        floor_pct=Decimal(0),
    )

    assert q.lines[0].vat_rate_pct == Decimal(19)
    assert q.lines[0].line_vat == Decimal("25.65")


@pytest.mark.parametrize(
    ("qty", "unit_net"),
    [
        (9, "135.00"),
        (10, "132.30"),
        (49, "132.30"),
        (50, "128.25"),
        (99, "128.25"),
        (100, "124.20"),
    ],
)
def test_volume_boundaries_in_the_unit_price(qty: int, unit_net: str) -> None:
    assert price(product(), qty)[0] == Decimal(unit_net)


def test_margin_floor_bites_and_says_so() -> None:
    # 110 × 0.85 × 0.92 × 0.80 = 68.816, below the cost of 100
    cheap = product(cost="100", margin="10")

    unit, applied, margin = price(cheap, 100, tier=Tier.TIER_3, promotions=(promo("20"),))

    assert unit == Decimal("100.00")
    assert applied
    assert margin == Decimal("0.00")


def test_configured_margin_floor_keeps_that_margin() -> None:
    unit, applied, margin = price(
        product(cost="100", margin="10"), 100, tier=Tier.TIER_3, floor="5"
    )

    assert (unit, applied, margin) == (Decimal("105.00"), True, Decimal("5.00"))


def test_margin_floor_does_not_bite_above_it() -> None:
    unit, applied, margin = price(product(cost="100", margin="35"), 1, tier=Tier.TIER_1)

    assert (unit, applied, margin) == (Decimal("128.25"), False, Decimal("28.25"))


def test_floor_price_is_rounded_up_so_rounding_cannot_undercut_it() -> None:
    unit, applied, _ = price(product(cost="10.0001", margin="0"))

    assert unit == Decimal("10.01")
    assert applied


def test_promotion_is_active_at_its_start_instant() -> None:
    start = NOW
    unit, _, _ = price(product(), promotions=(promo("10", starts=start),), at=start)

    assert unit == Decimal("121.50")


def test_promotion_is_inactive_at_its_end_instant() -> None:
    end = NOW
    unit, _, _ = price(product(), promotions=(promo("10", ends=end),), at=end)

    assert unit == Decimal("135.00")


def test_promotion_one_microsecond_before_its_end_is_active() -> None:
    end = NOW
    at = end - timedelta(microseconds=1)

    assert price(product(), promotions=(promo("10", ends=end),), at=at)[0] == Decimal("121.50")


def test_best_single_promotion_wins_and_promotions_do_not_stack() -> None:
    promotions = (
        promo("10", id="sku10"),
        promo("15", sku=None, category="bulbs", id="cat15"),
        promo("5", id="sku5"),
        promo("50", sku="OTHER", id="other"),
        promo("40", sku=None, category="strips", id="cat40"),
    )
    q = quote(
        [("LED-1", 1)],
        products={"LED-1": product()},
        promotions=promotions,
        tier=Tier.STANDARD,
        rules=RULES,
        at=NOW,
        on=AUG_1,
        floor_pct=Decimal(0),
    )

    assert q.lines[0].promotion_id == "cat15"
    assert q.lines[0].promotion_discount_pct == Decimal(15)
    assert q.lines[0].unit_net == Decimal("114.75")


def test_document_totals_are_sums_of_rounded_lines() -> None:
    products = {
        "A": product("A", cost="0.333", margin="0"),
        "B": product("B", cost="10", margin="10", vat=VatCategory.REDUCED),
    }
    q = quote(
        [("A", 3), ("B", 7)],
        products=products,
        promotions=(),
        tier=Tier.STANDARD,
        rules=RULES,
        at=NOW,
        on=AUG_1,
        floor_pct=Decimal(0),
    )

    a, b = q.lines
    assert a.unit_net == Decimal("0.34")  # floor: 0.33 < 0.333 → rounded up
    assert a.line_vat == Decimal("0.21")  # 1.02 × 21 % = 0.2142
    assert b.line_vat == Decimal("8.47")  # 77.00 × 11 % = 8.47
    assert q.totals.vat == a.line_vat + b.line_vat
    assert q.totals.net == a.line_net + b.line_net
    assert q.totals.gross == q.totals.net + q.totals.vat


def test_lines_keep_request_order_and_repeat_skus() -> None:
    products = {"A": product("A"), "B": product("B")}
    q = quote(
        [("B", 1), ("A", 2), ("B", 3)],
        products=products,
        promotions=(),
        tier=Tier.STANDARD,
        rules=RULES,
        at=NOW,
        on=AUG_1,
        floor_pct=Decimal(0),
    )

    assert [(line.sku, line.quantity) for line in q.lines] == [("B", 1), ("A", 2), ("B", 3)]


def test_invalid_quantities_name_the_line_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        quote(
            [("LED-1", 0), ("LED-1", 2), ("LED-1", -1)],
            products={"LED-1": product()},
            promotions=(),
            tier=Tier.STANDARD,
            rules=RULES,
            at=NOW,
            on=AUG_1,
            floor_pct=Decimal(0),
        )

    assert caught.value.fields == {
        "lines[0].quantity": "must be positive",
        "lines[2].quantity": "must be positive",
    }


def test_empty_document_is_invalid() -> None:
    with pytest.raises(ValidationFailed) as caught:
        quote(
            [],
            products={},
            promotions=(),
            tier=Tier.STANDARD,
            rules=RULES,
            at=NOW,
            on=AUG_1,
            floor_pct=Decimal(0),
        )

    assert "lines" in caught.value.fields


def test_unknown_sku_is_not_found_with_the_sku() -> None:
    with pytest.raises(ProductNotFound) as caught:
        quote(
            [("LED-1", 1), ("NOPE", 1)],
            products={"LED-1": product()},
            promotions=(),
            tier=Tier.STANDARD,
            rules=RULES,
            at=NOW,
            on=AUG_1,
            floor_pct=Decimal(0),
        )

    assert caught.value.code == "PRODUCT_NOT_FOUND"
    assert caught.value.details["sku"] == "NOPE"


def test_mixed_currencies_cannot_share_a_document() -> None:
    products = {"A": product("A"), "B": product("B", currency="EUR")}

    with pytest.raises(ValidationFailed) as caught:
        quote(
            [("A", 1), ("B", 1)],
            products=products,
            promotions=(),
            tier=Tier.STANDARD,
            rules=RULES,
            at=NOW,
            on=AUG_1,
            floor_pct=Decimal(0),
        )

    assert "lines" in caught.value.fields


def test_inactive_product_is_not_priced() -> None:
    with pytest.raises(ProductInactive):
        price_line(
            product(active=False),
            1,
            tier=RULES.tier_rule(Tier.STANDARD),
            rules=RULES,
            promotion=None,
            on=AUG_1,
            floor_pct=Decimal(0),
        )


def test_zero_cost_product_reports_zero_margin() -> None:
    unit, applied, margin = price(product(cost="0", margin="35"))

    assert (unit, applied, margin) == (Decimal("0.00"), False, Decimal(0))
