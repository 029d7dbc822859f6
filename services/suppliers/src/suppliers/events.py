"""The events suppliers publishes, built from the aggregates' changes and written
through the outbox by the use cases."""

from __future__ import annotations

from datetime import datetime

from cypher.suppliers.v1 import events_pb2, suppliers_pb2
from cypher_runtime.messaging.envelope import Event
from cypher_runtime.proto_values import money_pb, optional_timestamp_pb, timestamp_pb
from suppliers.domain.orders import Placed, Received, SupplierOrder
from suppliers.domain.products import PriceChange, SupplierProduct
from suppliers.domain.sync import SyncRun
from suppliers.wire import RUN_STATUS_TO_PB, TRIGGER_TO_PB, order_line_pb, pct_text

PRODUCT_AGGREGATE = "supplier_product"
RUN_AGGREGATE = "sync_run"
ORDER_AGGREGATE = "supplier_order"


def price_changed(
    product: SupplierProduct, change: PriceChange, *, alert_id: str, run_id: str, at: datetime
) -> Event:
    return Event(
        message=events_pb2.SupplierPriceChanged(
            supplier_id=product.supplier_id,
            supplier_sku=product.supplier_sku,
            sku=product.sku or "",
            old_price=money_pb(change.old_price, product.currency),
            new_price=money_pb(change.new_price, product.currency),
            change_pct=pct_text(change.change_pct),
            alert_raised=change.alert,
            price_alert_id=alert_id,
            sync_run_id=run_id,
            version=product.version,
            occurred_at=timestamp_pb(at),
        ),
        aggregate_type=PRODUCT_AGGREGATE,
        aggregate_id=product.id,
        version=product.version,
        occurred_at=at,
    )


def sync_completed(run: SyncRun, at: datetime) -> Event:
    return Event(
        message=events_pb2.SupplierSyncCompleted(
            supplier_id=run.supplier_id,
            sync_run_id=run.id,
            status=RUN_STATUS_TO_PB[run.status],
            trigger=TRIGGER_TO_PB[run.trigger],
            items_seen=run.items_seen,
            items_changed=run.items_changed,
            items_unmapped=run.items_unmapped,
            error_count=run.error_count,
            started_at=timestamp_pb(run.started_at),
            finished_at=optional_timestamp_pb(run.finished_at),
            occurred_at=timestamp_pb(at),
        ),
        aggregate_type=RUN_AGGREGATE,
        aggregate_id=run.id,
        occurred_at=at,
    )


def published(order: SupplierOrder) -> list[Event]:
    """The events of an order's recorded changes (placed, goods received)."""
    events: list[Event] = []
    for change in order.changes:
        if isinstance(change, Placed):
            message: object = events_pb2.SupplierOrderPlaced(
                supplier_order_id=order.id,
                supplier_id=order.supplier_id,
                order_id=order.order_id,
                lines=[order_line_pb(line, order.currency) for line in order.lines],
                expected_date=order.expected_date.isoformat() if order.expected_date else "",
                version=order.version,
                occurred_at=timestamp_pb(change.at),
            )
        elif isinstance(change, Received):
            message = events_pb2.SupplierOrderReceived(
                supplier_order_id=order.id,
                supplier_id=order.supplier_id,
                order_id=order.order_id,
                lines=[
                    suppliers_pb2.ReceivedLine(
                        sku=r.sku, warehouse=r.warehouse, quantity=r.quantity
                    )
                    for r in change.lines
                ],
                version=order.version,
                occurred_at=timestamp_pb(change.at),
            )
        else:
            continue
        events.append(
            Event(
                message=message,  # type: ignore[arg-type]
                aggregate_type=ORDER_AGGREGATE,
                aggregate_id=order.id,
                version=order.version,
                occurred_at=change.at,
            )
        )
    order.changes.clear()
    return events
