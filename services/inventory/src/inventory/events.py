"""The events inventory publishes, built from what the aggregates recorded: the stock
ledger's `changes` (per sku) and a reservation's `changes` (per order). Use cases call
`uow.publish(*events.published(ledger.changes, reservations, at))` once, at the end."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cypher_runtime.messaging.envelope import Event
from inventory import wire
from inventory.domain.reservation import Backordered, Released, Reservation, Reserved
from inventory.domain.stock import LowStockCrossed, StockChange, StockMoved

STOCK_AGGREGATE = "stock"
RESERVATION_AGGREGATE = "reservation"


def stock_events(changes: Iterable[StockChange]) -> list[Event]:
    published: list[Event] = []
    for change in changes:
        sku = change.level.sku
        if isinstance(change, StockMoved):
            published.append(
                Event(
                    wire.stock_changed_pb(change),
                    aggregate_type=STOCK_AGGREGATE,
                    aggregate_id=sku,
                    version=change.version,
                    occurred_at=change.at,
                )
            )
        elif isinstance(change, LowStockCrossed):
            published.append(
                # Unversioned on purpose: it shares the sku's aggregate with
                # stock_changed, and a versioned consumer of both would drop one.
                Event(
                    wire.low_stock_pb(change),
                    aggregate_type=STOCK_AGGREGATE,
                    aggregate_id=sku,
                    occurred_at=change.at,
                )
            )
    return published


def reservation_events(res: Reservation, at: datetime) -> list[Event]:
    """One inventory.reserved however many times units were allocated in this
    transaction (it carries the final holdings), then backordered / released."""
    published: list[Event] = []
    announced = False
    for change in res.changes:
        if isinstance(change, Reserved) and not announced:
            announced = True
            published.append(
                Event(
                    wire.reserved_pb(res, at),
                    aggregate_type=RESERVATION_AGGREGATE,
                    aggregate_id=res.order_id,
                    version=res.version,
                    occurred_at=at,
                )
            )
        elif isinstance(change, Backordered):
            # Unversioned: it has the version of the inventory.reserved it follows.
            published.append(
                Event(
                    wire.backordered_pb(res, at),
                    aggregate_type=RESERVATION_AGGREGATE,
                    aggregate_id=res.order_id,
                    occurred_at=at,
                )
            )
        elif isinstance(change, Released):
            published.append(
                Event(
                    wire.released_pb(res, change, at),
                    aggregate_type=RESERVATION_AGGREGATE,
                    aggregate_id=res.order_id,
                    version=res.version,
                    occurred_at=at,
                )
            )
    res.changes.clear()
    return published


def published(
    stock: Iterable[StockChange], reservations: Iterable[Reservation], at: datetime
) -> list[Event]:
    """Stock events first, then each reservation's, in the order they happened."""
    out = stock_events(stock)
    for res in reservations:
        out += reservation_events(res, at)
    return out
