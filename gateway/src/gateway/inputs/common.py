"""The one base of every request body and the field types several areas share."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from gateway.edge import refuse_control

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Strict(BaseModel):
    """Base of every request body: an unknown field is a 400, not silently dropped; a
    string holding a control character (see `gateway.edge`) and an integer beyond 64
    bits (what the protos and the databases hold) are 400s naming the field. Booleans
    are declared `StrictBool` (0 and "yes" are not booleans)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _edge(cls, value: Any) -> Any:
        refuse_control(value)
        _refuse_big_ints(value)
        return value


def _refuse_big_ints(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("out of range (a 64-bit integer)")
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_big_ints(item)


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
WarehouseCode = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$")]


class AddressIn(Strict):
    line1: str = Field(default="", max_length=200)
    line2: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    county: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="RO", max_length=2)


class LineIn(Strict):
    sku: Sku
    quantity: int = Field(ge=1, le=1_000_000)


# An optimistic-lock version as the services store it (int64).
Version = Annotated[int, Field(ge=1, le=INT64_MAX)]
