"""Request models and proto → JSON views of the products and pricing endpoints.

Money leaves the API as decimal strings with a `currency` field (never floats);
percentages as decimal strings in percent units ("10" = 10 %). Tier names are the
REST names of pricing.proto: STANDARD, TIER_1, TIER_2, TIER_3."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cypher.common.v1 import money_pb2
from cypher.pricing.v1 import pricing_pb2

TierName = Literal["STANDARD", "TIER_1", "TIER_2", "TIER_3"]
VatCategoryName = Literal["STANDARD", "REDUCED", "SUPER_REDUCED", "EXEMPT"]

_TIER_TO_PROTO: dict[str, int] = {
    "STANDARD": pricing_pb2.TIER_STANDARD,
    "TIER_1": pricing_pb2.TIER_1,
    "TIER_2": pricing_pb2.TIER_2,
    "TIER_3": pricing_pb2.TIER_3,
}
_TIER_FROM_PROTO = {v: k for k, v in _TIER_TO_PROTO.items()}
_VAT_TO_PROTO: dict[str, int] = {
    "STANDARD": pricing_pb2.VAT_CATEGORY_STANDARD,
    "REDUCED": pricing_pb2.VAT_CATEGORY_REDUCED,
    "SUPER_REDUCED": pricing_pb2.VAT_CATEGORY_SUPER_REDUCED,
    "EXEMPT": pricing_pb2.VAT_CATEGORY_EXEMPT,
}
_VAT_FROM_PROTO = {v: k for k, v in _VAT_TO_PROTO.items()}


def _utc(value: datetime) -> datetime:
    """Naive datetimes are refused: an RFC 3339 time names its offset."""
    if value.tzinfo is None:
        raise ValueError("must include a UTC offset (RFC 3339), e.g. 2026-01-01T00:00:00Z")
    return value.astimezone(UTC)


def _max_2_places(value: Decimal) -> Decimal:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:
        raise ValueError("at most 2 decimal places")
    return value


Money = Annotated[
    Decimal, Field(ge=0, max_digits=14, allow_inf_nan=False), AfterValidator(_max_2_places)
]
Percent = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=4)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
UtcTime = Annotated[datetime, AfterValidator(_utc)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductCreate(Strict):
    sku: Sku
    name: str = Field(min_length=1, max_length=300)
    category: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=20)
    cost: Money
    margin_pct: Percent
    vat_category: VatCategoryName | None = None
    currency: Currency | None = None
    description: str | None = Field(default=None, max_length=5000)
    supplier_id: str | None = Field(default=None, max_length=64)
    follows_supplier_price: bool = False


class ProductUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    cost: Money | None = None
    margin_pct: Percent | None = None
    vat_category: VatCategoryName | None = None
    description: str | None = Field(default=None, max_length=5000)
    supplier_id: str | None = Field(default=None, max_length=64)
    follows_supplier_price: bool | None = None
    active: bool | None = None
    expected_version: int | None = Field(default=None, ge=1)
    reason: str | None = Field(default=None, max_length=500)


class QuoteLine(Strict):
    sku: Sku
    quantity: int = Field(ge=1, le=1_000_000)


class QuoteRequest(Strict):
    # Orders-service customer id; absent = anonymous (STANDARD tier).
    customer_id: uuid.UUID | None = None
    lines: list[QuoteLine] = Field(min_length=1, max_length=500)
    pricing_date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class TierOverride(Strict):
    # null clears the override (the computed tier applies again).
    tier: TierName | None
    reason: str | None = Field(default=None, max_length=500)


class PromotionCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    sku: Sku | None = None
    category: str | None = Field(default=None, min_length=1, max_length=100)
    discount_pct: Annotated[Decimal, Field(gt=0, lt=100, max_digits=6, decimal_places=3)]
    starts_at: UtcTime
    ends_at: UtcTime


class PromotionEnd(Strict):
    ends_at: UtcTime | None = None


# --- proto helpers -----------------------------------------------------------------------


def money(amount: Decimal, currency: str | None) -> money_pb2.Money:
    return money_pb2.Money(amount=format(amount, "f"), currency=currency or "")


def decimal_str(value: Decimal) -> str:
    return format(value, "f")


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def tier_to_proto(name: str | None) -> int:
    return _TIER_TO_PROTO[name] if name else pricing_pb2.TIER_UNSPECIFIED


def vat_to_proto(name: str | None) -> int:
    return _VAT_TO_PROTO[name] if name else pricing_pb2.VAT_CATEGORY_UNSPECIFIED


def tier_name(value: int) -> str | None:
    return _TIER_FROM_PROTO.get(value)


def _time(msg: Any, field: str) -> str | None:
    if not msg.HasField(field):
        return None
    ts: Timestamp = getattr(msg, field)
    return ts.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def product_view(p: pricing_pb2.Product) -> dict[str, Any]:
    return {
        "sku": p.sku,
        "name": p.name,
        "category": p.category,
        "unit": p.unit,
        "description": p.description,
        "cost": p.cost.amount,
        "margin_pct": p.margin_pct,
        "list_price": p.list_price.amount,
        "currency": p.currency or p.cost.currency,
        "vat_category": _VAT_FROM_PROTO.get(p.vat_category),
        "supplier_id": p.supplier_id or None,
        "follows_supplier_price": p.follows_supplier_price,
        "active": p.active,
        "version": p.version,
        "created_at": _time(p, "created_at"),
        "updated_at": _time(p, "updated_at"),
    }


def priced_line_view(line: pricing_pb2.PricedLine) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "name": line.name,
        "unit": line.unit,
        "quantity": line.quantity,
        "unit_cost": line.unit_cost.amount,
        "list_price": line.list_price.amount,
        "tier": tier_name(line.tier),
        "tier_discount_pct": line.tier_discount_pct,
        "volume_discount_pct": line.volume_discount_pct,
        "promotion_discount_pct": line.promotion_discount_pct,
        "promotion_id": line.promotion_id or None,
        "unit_net": line.unit_net.amount,
        "vat_category": _VAT_FROM_PROTO.get(line.vat_category),
        "vat_rate": line.vat_rate,
        "unit_gross": line.unit_gross.amount,
        "line_net": line.line_net.amount,
        "line_vat": line.line_vat.amount,
        "line_gross": line.line_gross.amount,
        "margin_pct": line.margin_pct,
        "margin_floor_applied": line.margin_floor_applied,
        "currency": line.currency or line.unit_net.currency,
        "pricing_date": line.pricing_date or None,
    }


def quote_view(reply: pricing_pb2.QuoteLinesResponse) -> dict[str, Any]:
    return {
        "lines": [priced_line_view(line) for line in reply.lines],
        "totals": {
            "net": reply.totals.net.amount,
            "vat": reply.totals.vat.amount,
            "gross": reply.totals.gross.amount,
        },
        "tier": tier_name(reply.tier),
        "pricing_date": reply.pricing_date or None,
        "currency": reply.currency or reply.totals.net.currency,
    }


def tier_rule_view(rule: pricing_pb2.TierRule) -> dict[str, Any]:
    return {
        "tier": tier_name(rule.tier),
        "min_spend": rule.min_spend.amount,
        "currency": rule.min_spend.currency,
        "discount_pct": rule.discount_pct,
    }


def customer_tier_view(ct: pricing_pb2.CustomerTier) -> dict[str, Any]:
    return {
        "customer_id": ct.customer_id,
        "tier": tier_name(ct.tier),
        "computed_tier": tier_name(ct.computed_tier),
        "override_tier": tier_name(ct.override_tier),
        "overridden": ct.overridden,
        "monthly_spend": ct.monthly_spend.amount,
        "currency": ct.monthly_spend.currency,
        "discount_pct": ct.discount_pct,
        "version": ct.version,
        "updated_at": _time(ct, "updated_at"),
    }


def promotion_view(p: pricing_pb2.Promotion) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "sku": p.sku or None,
        "category": p.category or None,
        "discount_pct": p.discount_pct,
        "starts_at": _time(p, "starts_at"),
        "ends_at": _time(p, "ends_at"),
        "active": p.active,
        "created_at": _time(p, "created_at"),
        "ended_at": _time(p, "ended_at"),
    }
