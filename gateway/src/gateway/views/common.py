"""The base of every response payload and the shapes several areas share."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from gateway.convert import ADDRESS_FIELDS

# Decimal strings ("123.45") and RFC 3339 UTC times, documented as such.
Decimal = Annotated[
    str, WithJsonSchema({"type": "string", "format": "decimal", "examples": ["123.45"]})
]
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Out(BaseModel):
    """Base of every response payload. Fields named like Python keywords (`from`) are
    declared with an alias; payloads are always serialised by alias."""

    model_config = ConfigDict(populate_by_name=True)


class Address(Out):
    line1: str
    line2: str
    city: str
    county: str
    postal_code: str
    country: str


class Totals(Out):
    net: Decimal
    vat: Decimal
    gross: Decimal


class LineQuantity(Out):
    sku: str
    quantity: int


class Status(Out):
    status: str = Field(examples=["ok"])


def address_of(msg: Any, field: str) -> Address | None:
    if not msg.HasField(field):
        return None
    address = getattr(msg, field)
    return Address(**{k: getattr(address, k) for k in ADDRESS_FIELDS})


def totals_of(totals: Any) -> Totals:
    return Totals(net=totals.net.amount, vat=totals.vat.amount, gross=totals.gross.amount)


def lines_of(items: Any) -> list[LineQuantity]:
    return [LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in items]
