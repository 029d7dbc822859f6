"""Request bodies of the Suppliers area (REST_API.md "Suppliers"): one Strict base, so
an unknown field is a 400, never silently dropped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from cypher.suppliers.v1 import suppliers_pb2 as pb
from gateway.inputs.common import Sku, Strict

SupplierSku = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[\w.\-/+#]+$")]
Warehouse = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$")]
FeedFormat = Literal["HTML", "CSV", "JSON"]
OrderStatus = Literal["DRAFT", "PLACED", "CONFIRMED", "SHIPPED", "RECEIVED", "CANCELLED"]
FEED_FORMATS = {"HTML": pb.FEED_FORMAT_HTML, "CSV": pb.FEED_FORMAT_CSV, "JSON": pb.FEED_FORMAT_JSON}
ORDER_STATUSES: dict[str, pb.SupplierOrderStatus.ValueType] = {
    "DRAFT": pb.SUPPLIER_ORDER_STATUS_DRAFT,
    "PLACED": pb.SUPPLIER_ORDER_STATUS_PLACED,
    "CONFIRMED": pb.SUPPLIER_ORDER_STATUS_CONFIRMED,
    "SHIPPED": pb.SUPPLIER_ORDER_STATUS_SHIPPED,
    "RECEIVED": pb.SUPPLIER_ORDER_STATUS_RECEIVED,
    "CANCELLED": pb.SUPPLIER_ORDER_STATUS_CANCELLED,
}


class Schedule(Strict):
    """Scheduled scrapes every interval from window_start_hour until window_end_hour (UTC)."""

    interval_minutes: int = Field(default=240, ge=5, le=1440)
    window_start_hour: int = Field(default=6, ge=0, le=23)
    window_end_hour: int = Field(default=22, ge=1, le=24)
    enabled: bool = True


FeedConfig = Annotated[dict[str, Annotated[str, Field(max_length=500)]], Field(max_length=40)]


class SupplierCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    feed_format: FeedFormat
    feed_url: str = Field(min_length=1, max_length=1000)
    feed_config: FeedConfig
    currency: str = Field(default="RON", pattern=r"^[A-Z]{3}$")
    active: bool = True
    contact_email: str = Field(default="", max_length=320)
    schedule: Schedule | None = None


class SupplierUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    feed_format: FeedFormat | None = None
    feed_url: str | None = Field(default=None, min_length=1, max_length=1000)
    feed_config: FeedConfig | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    active: bool | None = None
    contact_email: str | None = Field(default=None, max_length=320)
    schedule: Schedule | None = None
    expected_version: int | None = Field(default=None, ge=1)


class MappingCreate(Strict):
    supplier_sku: SupplierSku
    sku: Sku


class OrderLineIn(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=1_000_000)
    supplier_sku: SupplierSku | None = None
    # Unset: the supplier's current price for that item.
    unit_price: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=4)
    warehouse: Warehouse = "A"


class SupplierOrderCreate(Strict):
    supplier_id: str = Field(min_length=1, max_length=64)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    order_id: str | None = Field(default=None, max_length=64)
    expected_date: date | None = None
    notes: str | None = Field(default=None, max_length=2000)
    draft: bool = False


class StatusChange(Strict):
    status: OrderStatus
    reason: str | None = Field(default=None, max_length=500)
    expected_version: int | None = Field(default=None, ge=1)


class ReceiptLine(Strict):
    sku: Sku
    quantity: int = Field(gt=0, le=1_000_000)


class ReceiptCreate(Strict):
    lines: list[ReceiptLine] = Field(min_length=1, max_length=200)
    # Receiving warehouse; unset: each order line's.
    warehouse: Warehouse | None = None
    expected_version: int | None = Field(default=None, ge=1)


def schedule_pb(s: Schedule) -> pb.SyncSchedule:
    return pb.SyncSchedule(
        interval_minutes=s.interval_minutes,
        window_start_hour=s.window_start_hour,
        window_end_hour=s.window_end_hour,
        enabled=s.enabled,
    )
