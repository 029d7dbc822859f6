"""A price is a domain value; its stored JSON keeps the layout earlier rows were written
in (pricing's PricedLine as JSON), and proto → domain → proto loses nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from google.protobuf import json_format

from cypher.common.v1 import money_pb2
from cypher.pricing.v1 import pricing_pb2
from orders.db.documents import price_document, price_from_document
from orders.errors import ValidationFailed
from orders.wire import line_price_from_proto, price_to_proto


def ron(amount: str) -> money_pb2.Money:
    return money_pb2.Money(amount=amount, currency="RON")


FULL = pricing_pb2.PricedLine(
    sku="LED-1",
    quantity=10,
    unit_cost=ron("10.1234"),
    list_price=ron("15.00"),
    tier=pricing_pb2.TIER_2,
    tier_discount_pct="5",
    volume_discount_pct="2.00",
    promotion_discount_pct="0",
    unit_net=ron("13.97"),
    vat_rate="21",
    unit_gross=ron("16.90"),
    line_net=ron("139.70"),
    line_vat=ron("29.34"),
    line_gross=ron("169.04"),
    margin_pct="37.99",
    margin_floor_applied=True,
    currency="RON",
    promotion_id="PROMO-1",
    vat_category=pricing_pb2.VAT_CATEGORY_STANDARD,
    name="Panou LED",
    unit="buc",
    pricing_date="2026-03-01",
)
SPARSE = pricing_pb2.PricedLine(
    sku="LED-2", quantity=1, unit_net=ron("7.50"), line_net=ron("7.50"), currency="RON"
)


@pytest.mark.parametrize("line", [FULL, SPARSE], ids=["full", "sparse"])
def test_the_stored_document_is_the_pricedline_json_earlier_rows_hold(
    line: pricing_pb2.PricedLine,
) -> None:
    earlier = json_format.MessageToDict(
        line, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    price = line_price_from_proto(line)
    assert price_document(price) == earlier
    assert price_from_document(earlier) == price


@pytest.mark.parametrize("line", [FULL, SPARSE], ids=["full", "sparse"])
def test_proto_to_domain_and_back_is_exact(line: pricing_pb2.PricedLine) -> None:
    assert price_to_proto(line_price_from_proto(line)) == line


def test_amounts_are_decimals() -> None:
    price = line_price_from_proto(FULL)
    assert price.unit_cost == Decimal("10.1234")
    assert price.volume_discount_pct == Decimal("2.00")
    assert price.tier == "TIER_2"
    assert SPARSE.HasField("line_net")
    assert line_price_from_proto(SPARSE).unit_cost is None


def test_a_bad_amount_names_the_field() -> None:
    bad = pricing_pb2.PricedLine(sku="X", quantity=1, line_net=ron("12,50"))
    with pytest.raises(ValidationFailed) as caught:
        line_price_from_proto(bad, "lines[0].locked_price")
    assert set(caught.value.fields) == {"lines[0].locked_price.line_net.amount"}
