"""Response payloads of the Suppliers area and their one conversion from the protos."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher_runtime.proto_values import datetime_from_pb, rfc3339
from gateway.inputs.suppliers import Schedule
from gateway.views.common import Decimal, Out, Time


def _name(enum: str, value: int, prefix: str) -> str | None:
    name = getattr(pb, enum).Name(value)
    return None if name.endswith("UNSPECIFIED") else name.removeprefix(prefix)


class SupplierOut(Out):
    id: str
    name: str
    feed_format: str | None
    feed_url: str
    feed_config: dict[str, str]
    active: bool
    currency: str
    contact_email: str
    schedule: Schedule
    last_sync_at: Time | None
    last_sync_status: str | None
    version: int
    created_at: Time | None
    updated_at: Time | None


class SyncRunOut(Out):
    id: str
    supplier_id: str
    status: str | None
    trigger: str | None
    started_at: Time | None
    finished_at: Time | None
    items_seen: int
    items_new: int
    items_changed: int
    items_unmapped: int
    error_count: int
    errors: list[str]
    price_alerts_raised: int


class SupplierProductOut(Out):
    id: str
    supplier_id: str
    supplier_sku: str
    name: str
    price: Decimal
    currency: str
    sku: str | None
    in_stock: bool
    stock_quantity: int | None
    url: str
    last_seen_at: Time | None
    price_changed_at: Time | None
    version: int


class PriceAlertOut(Out):
    id: str
    supplier_id: str
    supplier_sku: str
    sku: str | None
    old_price: Decimal
    new_price: Decimal
    currency: str
    change_pct: Decimal
    status: str | None
    sync_run_id: str
    created_at: Time | None
    acknowledged_at: Time | None


class PricePointOut(Out):
    price: Decimal
    currency: str
    in_stock: bool
    stock_quantity: int | None
    change_pct: Decimal | None
    sync_run_id: str | None
    observed_at: Time | None


class OfferOut(Out):
    supplier_id: str
    supplier_name: str
    supplier_sku: str
    sku: str
    price: Decimal
    currency: str
    in_stock: bool
    stock_quantity: int | None
    updated_at: Time | None


class OrderLineOut(Out):
    sku: str
    supplier_sku: str
    quantity: int
    unit_price: Decimal
    warehouse: str
    received_quantity: int


class SupplierOrderOut(Out):
    id: str
    supplier_id: str
    status: str | None
    lines: list[OrderLineOut]
    order_id: str | None
    expected_date: str | None
    notes: str
    total: Decimal
    currency: str
    version: int
    created_at: Time | None
    updated_at: Time | None
    received_at: Time | None


def _time(stamp: Timestamp) -> str | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    return rfc3339(datetime_from_pb(stamp))


def _stock(message: pb.SupplierProduct | pb.Offer | pb.PricePoint) -> int | None:
    return message.stock_quantity if message.HasField("stock_quantity") else None


def supplier_view(s: pb.Supplier) -> SupplierOut:
    return SupplierOut(
        id=s.id,
        name=s.name,
        feed_format=_name("FeedFormat", s.feed_format, "FEED_FORMAT_"),
        feed_url=s.feed_url,
        feed_config=dict(s.feed_config),
        active=s.active,
        currency=s.currency,
        contact_email=s.contact_email,
        schedule=Schedule(
            interval_minutes=s.schedule.interval_minutes,
            window_start_hour=s.schedule.window_start_hour,
            window_end_hour=s.schedule.window_end_hour,
            enabled=s.schedule.enabled,
        ),
        last_sync_at=_time(s.last_sync_at),
        last_sync_status=_name("SyncRunStatus", s.last_sync_status, "SYNC_RUN_STATUS_"),
        version=s.version,
        created_at=_time(s.created_at),
        updated_at=_time(s.updated_at),
    )


def run_view(r: pb.SyncRun) -> SyncRunOut:
    return SyncRunOut(
        id=r.id,
        supplier_id=r.supplier_id,
        status=_name("SyncRunStatus", r.status, "SYNC_RUN_STATUS_"),
        trigger=_name("SyncTrigger", r.trigger, "SYNC_TRIGGER_"),
        started_at=_time(r.started_at),
        finished_at=_time(r.finished_at),
        items_seen=r.items_seen,
        items_new=r.items_new,
        items_changed=r.items_changed,
        items_unmapped=r.items_unmapped,
        error_count=r.error_count,
        errors=list(r.errors),
        price_alerts_raised=r.price_alerts_raised,
    )


def product_view(p: pb.SupplierProduct) -> SupplierProductOut:
    return SupplierProductOut(
        id=p.id,
        supplier_id=p.supplier_id,
        supplier_sku=p.supplier_sku,
        name=p.name,
        price=p.price.amount,
        currency=p.price.currency,
        sku=p.sku or None,
        in_stock=p.in_stock,
        stock_quantity=_stock(p),
        url=p.url,
        last_seen_at=_time(p.last_seen_at),
        price_changed_at=_time(p.price_changed_at),
        version=p.version,
    )


def alert_view(a: pb.PriceAlert) -> PriceAlertOut:
    return PriceAlertOut(
        id=a.id,
        supplier_id=a.supplier_id,
        supplier_sku=a.supplier_sku,
        sku=a.sku or None,
        old_price=a.old_price.amount,
        new_price=a.new_price.amount,
        currency=a.new_price.currency,
        change_pct=a.change_pct,
        status=_name("PriceAlertStatus", a.status, "PRICE_ALERT_STATUS_"),
        sync_run_id=a.sync_run_id,
        created_at=_time(a.created_at),
        acknowledged_at=_time(a.acknowledged_at),
    )


def point_view(p: pb.PricePoint) -> PricePointOut:
    return PricePointOut(
        price=p.price.amount,
        currency=p.price.currency,
        in_stock=p.in_stock,
        stock_quantity=_stock(p),
        change_pct=p.change_pct or None,
        sync_run_id=p.sync_run_id or None,
        observed_at=_time(p.observed_at),
    )


def offer_view(o: pb.Offer) -> OfferOut:
    return OfferOut(
        supplier_id=o.supplier_id,
        supplier_name=o.supplier_name,
        supplier_sku=o.supplier_sku,
        sku=o.sku,
        price=o.price.amount,
        currency=o.price.currency,
        in_stock=o.in_stock,
        stock_quantity=_stock(o),
        updated_at=_time(o.updated_at),
    )


def order_view(o: pb.SupplierOrder) -> SupplierOrderOut:
    return SupplierOrderOut(
        id=o.id,
        supplier_id=o.supplier_id,
        status=_name("SupplierOrderStatus", o.status, "SUPPLIER_ORDER_STATUS_"),
        lines=[
            OrderLineOut(
                sku=x.sku,
                supplier_sku=x.supplier_sku,
                quantity=x.quantity,
                unit_price=x.unit_price.amount,
                warehouse=x.warehouse,
                received_quantity=x.received_quantity,
            )
            for x in o.lines
        ],
        order_id=o.order_id or None,
        expected_date=o.expected_date or None,
        notes=o.notes,
        total=o.total.amount,
        currency=o.total.currency,
        version=o.version,
        created_at=_time(o.created_at),
        updated_at=_time(o.updated_at),
        received_at=_time(o.received_at),
    )
