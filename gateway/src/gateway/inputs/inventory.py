"""Request bodies of inventory."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from gateway.inputs.common import Sku, Strict, WarehouseCode

Quantity = Annotated[int, Field(gt=0, le=1_000_000_000)]


class StockReceiptCreate(Strict):
    sku: Sku
    warehouse: WarehouseCode
    quantity: Quantity
    reference: str | None = Field(default=None, max_length=200)


class AdjustmentCreate(Strict):
    sku: Sku
    warehouse: WarehouseCode
    delta: int = Field(ge=-1_000_000_000, le=1_000_000_000)
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class TransferCreate(Strict):
    sku: Sku
    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    quantity: Quantity
    reason: str | None = Field(default=None, max_length=500)


class ThresholdUpdate(Strict):
    # null resets the sku×warehouse to the service default (3).
    threshold: int | None = Field(ge=0, le=1_000_000_000)


class ReconcileQuery(Strict):
    skus: list[Sku] = Field(default_factory=list, max_length=1000)
