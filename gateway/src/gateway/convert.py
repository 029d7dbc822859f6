"""Proto ↔ JSON primitives shared by every area: the one timestamp formatter, money and
decimal strings, addresses, and the REST names of the pricing enums.

Times leave the API as RFC 3339 UTC strings (`…Z`); a timestamp field that is unset or
holds the zero instant (1970-01-01T00:00:00Z, what proto3 gives for "never") is null."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, cast

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import address_pb2, money_pb2
from cypher.pricing.v1 import pricing_pb2
from cypher_runtime.proto_values import datetime_from_pb, rfc3339
from gateway.inputs.common import AddressIn

TierName = Literal["STANDARD", "TIER_1", "TIER_2", "TIER_3"]
VatCategoryName = Literal["STANDARD", "REDUCED", "SUPER_REDUCED", "EXEMPT"]

TIER_TO_PROTO: dict[str, int] = {
    "STANDARD": pricing_pb2.TIER_STANDARD,
    "TIER_1": pricing_pb2.TIER_1,
    "TIER_2": pricing_pb2.TIER_2,
    "TIER_3": pricing_pb2.TIER_3,
}
_TIER_FROM_PROTO = {v: cast(TierName, k) for k, v in TIER_TO_PROTO.items()}
VAT_TO_PROTO: dict[str, int] = {
    "STANDARD": pricing_pb2.VAT_CATEGORY_STANDARD,
    "REDUCED": pricing_pb2.VAT_CATEGORY_REDUCED,
    "SUPER_REDUCED": pricing_pb2.VAT_CATEGORY_SUPER_REDUCED,
    "EXEMPT": pricing_pb2.VAT_CATEGORY_EXEMPT,
}
_VAT_FROM_PROTO = {v: cast(VatCategoryName, k) for k, v in VAT_TO_PROTO.items()}
ADDRESS_FIELDS = ("line1", "line2", "city", "county", "postal_code", "country")


def time_of(msg: Any, field: str) -> str | None:
    """RFC 3339 UTC of a Timestamp field, None when unset or zero."""
    if not msg.HasField(field):
        return None
    ts: Timestamp = getattr(msg, field)
    if not ts.seconds and not ts.nanos:
        return None
    return rfc3339(datetime_from_pb(ts))


def decimal_str(value: Decimal) -> str:
    return format(value, "f")


def money(amount: Decimal, currency: str | None) -> money_pb2.Money:
    return money_pb2.Money(amount=decimal_str(amount), currency=currency or "")


def tier_to_proto(name: str | None) -> int:
    return TIER_TO_PROTO[name] if name else pricing_pb2.TIER_UNSPECIFIED


def vat_to_proto(name: str | None) -> int:
    return VAT_TO_PROTO[name] if name else pricing_pb2.VAT_CATEGORY_UNSPECIFIED


def tier_name(value: int) -> TierName | None:
    return _TIER_FROM_PROTO.get(value)


def vat_name(value: int) -> VatCategoryName | None:
    return _VAT_FROM_PROTO.get(value)


def address_to_proto(address: AddressIn | None) -> address_pb2.Address | None:
    return address_pb2.Address(**address.model_dump()) if address is not None else None
