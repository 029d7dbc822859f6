"""Request bodies of the quotations routes."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from gateway.inputs.common import LineIn, Strict


class QuotationCreate(Strict):
    customer_id: uuid.UUID
    lines: list[LineIn] = Field(
        min_length=1,
        max_length=500,
        description="lines with the same sku are merged (quantities added)",
    )
    notes: str | None = Field(default=None, max_length=4000)
    pricing_date: date | None = Field(default=None, description="default: today")


class QuotationBulkCreate(Strict):
    customer_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    notes: str | None = Field(default=None, max_length=4000)


class QuotationUpdate(Strict):
    notes: str | None = Field(default=None, max_length=4000)
    lines: list[LineIn] | None = Field(
        default=None, min_length=1, max_length=500, description="replaces every line (re-priced)"
    )
    recipient_email: str | None = Field(default=None, min_length=3, max_length=254)
    expected_version: int | None = Field(default=None, ge=1)


class QuotationSend(Strict):
    recipient_email: str | None = Field(
        default=None, min_length=3, max_length=254, description="default: the customer's"
    )
    message: str | None = Field(default=None, max_length=4000)


class QuotationReject(Strict):
    reason: str | None = Field(default=None, max_length=4000)


class QuotationConvert(Strict):
    allow_backorder: bool = False
