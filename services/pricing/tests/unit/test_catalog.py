"""Product and promotion validation and changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cypher.pricing.v1 import pricing_pb2 as pb
from cypher_runtime.proto_values import money_text
from pricing.domain.product import Product, ProductChanges, apply_changes, validated
from pricing.domain.promotion import end_promotion, new_promotion
from pricing.domain.rules import Tier, VatCategory
from pricing.errors import PromotionAlreadyEnded, ValidationFailed
from pricing.wire.api import Fields, pct_text, tier_from_pb, vat_category_from_pb

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def product(**overrides: object) -> Product:
    base = Product(
        sku="LED-1",
        name="Bulb",
        category="bulbs",
        unit="buc",
        cost=Decimal("10.50"),
        margin_pct=Decimal(35),
        currency="RON",
        vat_category=VatCategory.STANDARD,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"sku": "has space"}, "sku"),
        ({"name": "  "}, "name"),
        ({"category": ""}, "category"),
        ({"unit": ""}, "unit"),
        ({"cost": Decimal("-0.01")}, "cost"),
        ({"cost": Decimal("1.00001")}, "cost"),
        ({"margin_pct": Decimal("-1")}, "margin_pct"),
        ({"margin_pct": Decimal("1000.01")}, "margin_pct"),
        ({"currency": "ron"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"follows_supplier_price": True, "supplier_id": None}, "follows_supplier_price"),
    ],
)
def test_invalid_product_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validated(product(**overrides))

    assert field in caught.value.fields


def test_valid_product_passes_with_zero_cost_and_margin() -> None:
    p = product(cost=Decimal(0), margin_pct=Decimal(0))

    assert validated(p) is p


def test_changing_a_product_bumps_its_version() -> None:
    changed = apply_changes(product(), ProductChanges(margin_pct=Decimal(40)))

    assert changed.version == 2
    assert changed.list_price == Decimal("14.70")


def test_a_change_that_changes_nothing_keeps_the_version() -> None:
    p = product()

    assert apply_changes(p, ProductChanges(margin_pct=Decimal(35))) is p


def test_clearing_the_supplier_stops_following_it() -> None:
    p = product(supplier_id="sup-1", follows_supplier_price=True)

    changed = apply_changes(p, ProductChanges(supplier_id=""))

    assert changed.supplier_id is None
    assert not changed.follows_supplier_price


def test_invalid_change_is_rejected() -> None:
    with pytest.raises(ValidationFailed):
        apply_changes(product(), ProductChanges(cost=Decimal(-1)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"discount_pct": Decimal(0)}, "discount_pct"),
        ({"discount_pct": Decimal(100)}, "discount_pct"),
        ({"ends_at": NOW}, "ends_at"),
        ({"ends_at": NOW - timedelta(seconds=1)}, "ends_at"),
        ({"sku": None, "category": None}, "sku"),
        ({"sku": "A", "category": "bulbs"}, "sku"),
        ({"name": ""}, "name"),
        ({"starts_at": None}, "starts_at"),
    ],
)
def test_invalid_promotion_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "id": "p",
        "name": "sale",
        "sku": "A",
        "category": None,
        "discount_pct": Decimal(10),
        "starts_at": NOW,
        "ends_at": NOW + timedelta(days=1),
        "created_at": NOW,
    }
    args.update(kwargs)

    with pytest.raises(ValidationFailed) as caught:
        new_promotion(**args)  # type: ignore[arg-type]

    assert field in caught.value.fields


def test_promotion_discount_just_inside_bounds_is_valid() -> None:
    for pct in ("0.01", "99.99"):
        p = new_promotion(
            id="p",
            name="sale",
            sku="A",
            category=None,
            discount_pct=Decimal(pct),
            starts_at=NOW,
            ends_at=NOW + timedelta(seconds=1),
            created_at=NOW,
        )
        assert p.discount_pct == Decimal(pct)


def test_ending_a_running_promotion_ends_it_now() -> None:
    p = new_promotion(
        id="p",
        name="sale",
        sku="A",
        category=None,
        discount_pct=Decimal(10),
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=1),
        created_at=NOW,
    )

    ended = end_promotion(p, now=NOW)

    assert ended.ends_at == NOW
    assert ended.ended_at == NOW
    assert not ended.is_active(NOW)


def test_ending_a_future_promotion_leaves_an_empty_window() -> None:
    p = new_promotion(
        id="p",
        name="sale",
        sku="A",
        category=None,
        discount_pct=Decimal(10),
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=2),
        created_at=NOW,
    )

    ended = end_promotion(p, now=NOW)

    assert ended.ends_at == ended.starts_at
    assert not ended.is_active(ended.starts_at)


def test_ending_an_ended_promotion_is_refused() -> None:
    p = new_promotion(
        id="p",
        name="sale",
        sku="A",
        category=None,
        discount_pct=Decimal(10),
        starts_at=NOW - timedelta(days=2),
        ends_at=NOW - timedelta(days=1),
        created_at=NOW,
    )

    with pytest.raises(PromotionAlreadyEnded):
        end_promotion(p, now=NOW)


def test_end_later_than_planned_keeps_the_planned_end() -> None:
    p = new_promotion(
        id="p",
        name="sale",
        sku="A",
        category=None,
        discount_pct=Decimal(10),
        starts_at=NOW - timedelta(days=1),
        ends_at=NOW + timedelta(days=1),
        created_at=NOW,
    )

    assert end_promotion(p, now=NOW, at=NOW + timedelta(days=5)).ends_at == p.ends_at


@pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "1.00001"])
def test_a_bad_decimal_is_a_field_problem(text: str) -> None:
    fields = Fields()
    fields.decimal(text, "cost")

    with pytest.raises(ValidationFailed) as caught:
        fields.check()
    assert "cost" in caught.value.fields


def test_wire_formats() -> None:
    assert money_text(Decimal(5)) == "5.00"
    assert money_text(Decimal("10.1234")) == "10.1234"
    assert money_text(Decimal("10.5000")) == "10.50"
    assert money_text(Decimal("100.0000")) == "100.00"
    assert pct_text(Decimal("5.00")) == "5"
    assert pct_text(Decimal("2.50")) == "2.5"


def test_enums_from_the_wire() -> None:
    assert vat_category_from_pb(pb.VAT_CATEGORY_REDUCED) == VatCategory.REDUCED
    assert vat_category_from_pb(pb.VAT_CATEGORY_UNSPECIFIED) is None
    assert tier_from_pb(pb.TIER_2) == Tier.TIER_2
    with pytest.raises(ValidationFailed):
        vat_category_from_pb(99)
    with pytest.raises(ValidationFailed):
        tier_from_pb(99)
