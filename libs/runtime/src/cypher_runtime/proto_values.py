"""The one conversion of the common wire values: `cypher.common.v1.Money` and
`google.protobuf.Timestamp` to and from `Decimal` and aware UTC `datetime`.

Used by every service's `wire.py` and by the gateway; domain code never sees a proto.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.common.v1 import money_pb2
from cypher_runtime.errors import ValidationFailed


def money_text(amount: Decimal) -> str:
    """Wire text of an amount: at least 2 decimals ("12.50"), more only when they are
    significant (a cost of "10.1234"); "10.5000" from a NUMERIC(18,4) leaves as "10.50".
    String work rather than Decimal.normalize(): this runs on every priced line."""
    text = format(amount, "f")
    dot = text.find(".")
    if dot < 0:
        return text + ".00"
    places = len(text) - dot - 1
    if places == 2:
        return text
    if places < 2:
        return text + "0"
    stripped = text.rstrip("0")
    return stripped if len(stripped) - dot - 1 >= 2 else text[: dot + 3]


def money_pb(amount: Decimal, currency: str) -> money_pb2.Money:
    return money_pb2.Money(amount=money_text(amount), currency=currency)


def decimal_from_text(text: str, field: str, *, max_places: int = 4) -> Decimal:
    """A finite decimal from wire text, or ValidationFailed naming `field`."""
    raw = text.strip()
    if not raw or len(raw) > 40:
        raise ValidationFailed({field: "must be a decimal number"})
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed({field: f"not a decimal number: {text!r}"}) from None
    if not value.is_finite():
        raise ValidationFailed({field: "must be a finite number"})
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max_places:
        raise ValidationFailed({field: f"at most {max_places} decimal places"})
    return value


def decimal_from_money(money: money_pb2.Money, field: str, *, max_places: int = 4) -> Decimal:
    return decimal_from_text(money.amount, f"{field}.amount", max_places=max_places)


def timestamp_pb(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def optional_timestamp_pb(value: datetime | None) -> Timestamp | None:
    """None stays None, so a message field is left unset rather than set to 1970."""
    return None if value is None else timestamp_pb(value)


def datetime_from_pb(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def rfc3339(value: datetime | None) -> str | None:
    """RFC 3339 UTC text ("2026-12-03T08:00:00Z"), None for None: the one formatter."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
