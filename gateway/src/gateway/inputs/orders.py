"""Request bodies of customers and orders."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field, StrictBool

from gateway.inputs.common import AddressIn, LineIn, Strict, Version

StatusName = Literal[
    "QUOTE_PENDING", "QUOTE_SENT", "QUOTE_ACCEPTED", "ORDER_CONFIRMED", "SUPPLIER_ORDER_PLACED",
    "AWAITING_DELIVERY", "IN_PREPARATION", "READY_TO_SHIP", "SHIPPED", "DELIVERED", "INVOICED",
    "PAID", "RETURNED", "CANCELLED",
]  # fmt: skip


class CustomerCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    vat_code: str | None = Field(
        default=None, max_length=20, description="Romanian CUI, optional RO prefix"
    )
    reg_com: str | None = Field(
        default=None, max_length=32, description='Trade register number, e.g. "J12/1234/2010"'
    )
    address: AddressIn | None = None
    phone: str | None = Field(default=None, max_length=30)


class CustomerUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=254)
    company: str | None = Field(default=None, max_length=200)
    vat_code: str | None = Field(default=None, max_length=20)
    reg_com: str | None = Field(default=None, max_length=32)
    address: AddressIn | None = None
    phone: str | None = Field(default=None, max_length=30)
    expected_version: Version | None = None


class OrderCreate(Strict):
    # Required for staff; a partner's orders are its own customer's (may be omitted).
    customer_id: uuid.UUID | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    allow_backorder: StrictBool = False
    notes: str | None = Field(default=None, max_length=2000)
    shipping_address: AddressIn | None = None


class QuoteRequestCreate(Strict):
    # Required for staff; a partner's quote requests are its own customer's.
    customer_id: uuid.UUID | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    shipping_address: AddressIn | None = None


class OrderStatusChange(Strict):
    status: StatusName
    reason: str | None = Field(default=None, max_length=500)
    expected_version: Version | None = None


class ShipmentCreate(Strict):
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)


class DeliveryCreate(Strict):
    shipment_id: uuid.UUID


class CancelRequest(Strict):
    reason: str = Field(default="", max_length=500)


class ReturnCreate(Strict):
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    reason: str = Field(default="", max_length=500)
