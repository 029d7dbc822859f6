"""Every conversion between the suppliers protos and the domain or read objects."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher_runtime.proto_values import (
    decimal_from_money,
    money_pb,
    optional_timestamp_pb,
    timestamp_pb,
)
from suppliers.db.products import HistoryPoint
from suppliers.domain.offers import Offer
from suppliers.domain.orders import OrderLine, OrderStatus, Receipt, SupplierOrder
from suppliers.domain.products import AlertStatus, PriceAlert, SupplierProduct
from suppliers.domain.supplier import FeedFormat, Supplier, SupplierDraft, SyncSchedule, SyncStatus
from suppliers.domain.sync import SyncRun, SyncTrigger
from suppliers.errors import ValidationFailed

FORMAT_TO_PB = {
    FeedFormat.HTML: pb.FEED_FORMAT_HTML,
    FeedFormat.CSV: pb.FEED_FORMAT_CSV,
    FeedFormat.JSON: pb.FEED_FORMAT_JSON,
}
FORMAT_OF_PB = {v: k for k, v in FORMAT_TO_PB.items()}
RUN_STATUS_TO_PB = {
    SyncStatus.RUNNING: pb.SYNC_RUN_STATUS_RUNNING,
    SyncStatus.SUCCEEDED: pb.SYNC_RUN_STATUS_SUCCEEDED,
    SyncStatus.PARTIAL: pb.SYNC_RUN_STATUS_PARTIAL,
    SyncStatus.FAILED: pb.SYNC_RUN_STATUS_FAILED,
}
TRIGGER_TO_PB = {
    SyncTrigger.SCHEDULED: pb.SYNC_TRIGGER_SCHEDULED,
    SyncTrigger.MANUAL: pb.SYNC_TRIGGER_MANUAL,
}
ALERT_STATUS_TO_PB = {
    AlertStatus.OPEN: pb.PRICE_ALERT_STATUS_OPEN,
    AlertStatus.ACKNOWLEDGED: pb.PRICE_ALERT_STATUS_ACKNOWLEDGED,
}
ORDER_STATUS_TO_PB = {
    OrderStatus.DRAFT: pb.SUPPLIER_ORDER_STATUS_DRAFT,
    OrderStatus.PLACED: pb.SUPPLIER_ORDER_STATUS_PLACED,
    OrderStatus.CONFIRMED: pb.SUPPLIER_ORDER_STATUS_CONFIRMED,
    OrderStatus.SHIPPED: pb.SUPPLIER_ORDER_STATUS_SHIPPED,
    OrderStatus.RECEIVED: pb.SUPPLIER_ORDER_STATUS_RECEIVED,
    OrderStatus.CANCELLED: pb.SUPPLIER_ORDER_STATUS_CANCELLED,
}
ORDER_STATUS_OF_PB = {v: k for k, v in ORDER_STATUS_TO_PB.items()}
MAX_TEXT = 2000


def pct_text(value: Decimal) -> str:
    return f"{value:.2f}"


# -- requests -> domain ----------------------------------------------------------------


def feed_format_of(value: int, field: str, *, required: bool) -> FeedFormat | None:
    if value == pb.FEED_FORMAT_UNSPECIFIED and not required:
        return None
    found: FeedFormat | None = FORMAT_OF_PB.get(value)  # type: ignore[call-overload]
    if found is None:
        raise ValidationFailed({field: "must be HTML, CSV or JSON"})
    return found


def schedule_of(message: pb.SyncSchedule) -> SyncSchedule:
    return SyncSchedule(
        interval_minutes=message.interval_minutes,
        window_start_hour=message.window_start_hour,
        window_end_hour=message.window_end_hour,
        enabled=message.enabled,
    )


def _config(values: Mapping[str, str]) -> dict[str, str]:
    if len(values) > 40:
        raise ValidationFailed({"feed_config": "at most 40 keys"})
    return {k.strip(): v.strip() for k, v in values.items()}


def create_draft(req: pb.CreateSupplierRequest) -> SupplierDraft:
    return SupplierDraft(
        name=req.name,
        feed_format=feed_format_of(req.feed_format, "feed_format", required=True),
        feed_url=req.feed_url,
        feed_config=_config(req.feed_config),
        active=req.active,
        currency=req.currency or None,
        contact_email=req.contact_email,
        schedule=schedule_of(req.schedule) if req.HasField("schedule") else None,
    )


def update_draft(req: pb.UpdateSupplierRequest) -> SupplierDraft:
    return SupplierDraft(
        name=req.name if req.HasField("name") else None,
        feed_format=feed_format_of(req.feed_format, "feed_format", required=False),
        feed_url=req.feed_url if req.HasField("feed_url") else None,
        feed_config=_config(req.feed_config.values) if req.HasField("feed_config") else None,
        active=req.active if req.HasField("active") else None,
        currency=req.currency if req.HasField("currency") else None,
        contact_email=req.contact_email if req.HasField("contact_email") else None,
        schedule=schedule_of(req.schedule) if req.HasField("schedule") else None,
    )


def order_status_of(value: int, field: str, *, required: bool) -> OrderStatus | None:
    if value == pb.SUPPLIER_ORDER_STATUS_UNSPECIFIED and not required:
        return None
    found: OrderStatus | None = ORDER_STATUS_OF_PB.get(value)  # type: ignore[call-overload]
    if found is None:
        raise ValidationFailed({field: "unknown supplier order status"})
    return found


def order_lines_of(lines: list[pb.SupplierOrderLine]) -> list[OrderLine]:
    out: list[OrderLine] = []
    for i, line in enumerate(lines):
        price = (
            decimal_from_money(line.unit_price, f"lines[{i}].unit_price")
            if line.unit_price.amount
            else None
        )
        out.append(
            OrderLine(
                sku=line.sku.strip(),
                supplier_sku=line.supplier_sku.strip(),
                quantity=int(line.quantity),
                # A line without a price takes the supplier's current offer (service).
                unit_price=price if price is not None else Decimal(-1),
                warehouse=line.warehouse,
            )
        )
    return out


def receipts_of(lines: list[pb.ReceivedLine]) -> list[Receipt]:
    return [Receipt(x.sku.strip(), x.warehouse.strip(), int(x.quantity)) for x in lines]


def expected_date_of(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"expected_date": "must be YYYY-MM-DD"}) from None


def text_of(value: str, field: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise ValidationFailed({field: f"at most {limit} characters"})
    return value.strip()


# -- domain -> responses ----------------------------------------------------------------


def schedule_pb(s: SyncSchedule) -> pb.SyncSchedule:
    return pb.SyncSchedule(
        interval_minutes=s.interval_minutes,
        window_start_hour=s.window_start_hour,
        window_end_hour=s.window_end_hour,
        enabled=s.enabled,
    )


def supplier_pb(s: Supplier) -> pb.Supplier:
    return pb.Supplier(
        id=s.id,
        name=s.name,
        feed_format=FORMAT_TO_PB[s.feed_format],
        feed_url=s.feed_url,
        feed_config=s.feed_config,
        active=s.active,
        currency=s.currency,
        contact_email=s.contact_email,
        last_sync_at=optional_timestamp_pb(s.last_sync_at),
        last_sync_status=(
            RUN_STATUS_TO_PB[s.last_sync_status]
            if s.last_sync_status
            else pb.SYNC_RUN_STATUS_UNSPECIFIED
        ),
        version=s.version,
        created_at=timestamp_pb(s.created_at),
        updated_at=timestamp_pb(s.updated_at),
        schedule=schedule_pb(s.schedule),
    )


def run_pb(r: SyncRun) -> pb.SyncRun:
    return pb.SyncRun(
        id=r.id,
        supplier_id=r.supplier_id,
        status=RUN_STATUS_TO_PB[r.status],
        trigger=TRIGGER_TO_PB[r.trigger],
        started_at=timestamp_pb(r.started_at),
        finished_at=optional_timestamp_pb(r.finished_at),
        items_seen=r.items_seen,
        items_new=r.items_new,
        items_changed=r.items_changed,
        items_unmapped=r.items_unmapped,
        error_count=r.error_count,
        errors=r.errors,
        price_alerts_raised=r.price_alerts_raised,
    )


def product_pb(p: SupplierProduct) -> pb.SupplierProduct:
    msg = pb.SupplierProduct(
        id=p.id,
        supplier_id=p.supplier_id,
        supplier_sku=p.supplier_sku,
        name=p.name,
        price=money_pb(p.price, p.currency),
        sku=p.sku or "",
        in_stock=p.in_stock,
        url=p.url,
        last_seen_at=timestamp_pb(p.last_seen_at),
        price_changed_at=timestamp_pb(p.price_changed_at),
        version=p.version,
    )
    if p.stock_quantity is not None:
        msg.stock_quantity = p.stock_quantity
    return msg


def alert_pb(x: PriceAlert) -> pb.PriceAlert:
    return pb.PriceAlert(
        id=x.id,
        supplier_id=x.supplier_id,
        supplier_sku=x.supplier_sku,
        sku=x.sku or "",
        old_price=money_pb(x.old_price, x.currency),
        new_price=money_pb(x.new_price, x.currency),
        change_pct=pct_text(x.change_pct),
        status=ALERT_STATUS_TO_PB[x.status],
        sync_run_id=x.sync_run_id,
        created_at=timestamp_pb(x.created_at),
        acknowledged_at=optional_timestamp_pb(x.acknowledged_at),
    )


def offer_pb(o: Offer) -> pb.Offer:
    msg = pb.Offer(
        supplier_id=o.supplier_id,
        supplier_name=o.supplier_name,
        supplier_sku=o.supplier_sku,
        sku=o.sku,
        price=money_pb(o.price, o.currency),
        in_stock=o.in_stock,
        updated_at=timestamp_pb(o.updated_at),
    )
    if o.stock_quantity is not None:
        msg.stock_quantity = o.stock_quantity
    return msg


def order_line_pb(line: OrderLine, currency: str) -> pb.SupplierOrderLine:
    return pb.SupplierOrderLine(
        sku=line.sku,
        supplier_sku=line.supplier_sku,
        quantity=line.quantity,
        unit_price=money_pb(line.unit_price, currency),
        warehouse=line.warehouse,
        received_quantity=line.received_quantity,
    )


def order_pb(o: SupplierOrder) -> pb.SupplierOrder:
    return pb.SupplierOrder(
        id=o.id,
        supplier_id=o.supplier_id,
        status=ORDER_STATUS_TO_PB[o.status],
        lines=[order_line_pb(line, o.currency) for line in o.lines],
        order_id=o.order_id,
        expected_date=o.expected_date.isoformat() if o.expected_date else "",
        notes=o.notes,
        total=money_pb(o.total, o.currency),
        version=o.version,
        created_at=timestamp_pb(o.created_at),
        updated_at=timestamp_pb(o.updated_at),
        received_at=optional_timestamp_pb(o.received_at),
    )


def history_pb(point: HistoryPoint) -> pb.PricePoint:
    msg = pb.PricePoint(
        price=money_pb(point.price, point.currency),
        in_stock=point.in_stock,
        sync_run_id=point.sync_run_id or "",
        observed_at=timestamp_pb(point.observed_at),
        change_pct=pct_text(point.change_pct) if point.change_pct is not None else "",
    )
    if point.stock_quantity is not None:
        msg.stock_quantity = point.stock_quantity
    return msg
