"""Request bodies of products and pricing. Money arrives as decimal strings (never
floats); percentages in percent units ("10" = 10 %)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StrictBool

from gateway.convert import TierName, VatCategoryName
from gateway.inputs.common import Currency, LineIn, Money, Percent, Sku, Strict, UtcTime, Version


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
    follows_supplier_price: StrictBool = False


class ProductUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    cost: Money | None = None
    margin_pct: Percent | None = None
    vat_category: VatCategoryName | None = None
    description: str | None = Field(default=None, max_length=5000)
    supplier_id: str | None = Field(default=None, max_length=64)
    follows_supplier_price: StrictBool | None = None
    active: StrictBool | None = None
    expected_version: Version | None = None
    reason: str | None = Field(default=None, max_length=500)


class QuoteRequest(Strict):
    # Orders-service customer id; absent = anonymous (STANDARD tier).
    customer_id: uuid.UUID | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=500)
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
