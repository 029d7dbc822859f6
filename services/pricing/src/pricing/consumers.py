"""What pricing does with other services' events (through the runtime's inbox), and the
per-replica cache invalidation from pricing's own events.

Inbox handlers run inside the consumer's transaction and never commit; the consumer
records the event id with the effect, so a redelivered event has no second effect, and
`versioned` subscriptions drop events older than one already applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import cast

import aio_pika
from google.protobuf.timestamp_pb2 import Timestamp

from cypher.orders.v1 import events_pb2 as orders_events
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher.suppliers.v1 import events_pb2 as suppliers_events
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.broker import Broker, declare_exchanges
from cypher_runtime.messaging.consumer import PoisonMessageError, Subscription, decode
from cypher_runtime.messaging.envelope import ReceivedEvent, event_type_of
from pricing.cache import PriceCache
from pricing.service import PricingService, Touched
from pricing.wire import from_timestamp

log = logging.getLogger(__name__)

SUPPLIER_PRICE_CHANGED = event_type_of(suppliers_events.SupplierPriceChanged)
ORDER_CONFIRMED = event_type_of(orders_events.OrderConfirmed)
ORDER_CANCELLED = event_type_of(orders_events.OrderCancelled)
PRICE_UPDATED = event_type_of(pricing_events.PriceUpdated)
PRODUCT_UPSERTED = event_type_of(pricing_events.ProductUpserted)
TIER_CHANGED = event_type_of(pricing_events.CustomerTierChanged)


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _customer(text: str) -> str:
    """The canonical UUID text, as the gRPC side stores it (orders' ids are UUIDs)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


class EventHandlers:
    def __init__(self, service: PricingService) -> None:
        self.svc = service

    def supplier_subscriptions(self) -> list[Subscription]:
        return [Subscription(SUPPLIER_PRICE_CHANGED, self.supplier_price_changed, versioned=True)]

    def order_subscriptions(self) -> list[Subscription]:
        # Versioned per order: a confirm (v2) arriving after its cancel (v5) is dropped;
        # the spend rows also merge "cancelled wins" for events without versions.
        return [
            Subscription(ORDER_CONFIRMED, self.order_confirmed, versioned=True),
            Subscription(ORDER_CANCELLED, self.order_cancelled, versioned=True),
        ]

    async def supplier_price_changed(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = cast(suppliers_events.SupplierPriceChanged, event.message)
        if not msg.sku or not msg.supplier_id:
            return  # an unmapped supplier item concerns no product of ours
        price = _amount(msg.new_price.amount)
        if price is None or price < 0:
            log.warning("supplier price unusable", extra={"event_id": event.id})
            return
        touched = Touched()
        await self.svc.apply_supplier_price(
            uow,
            touched,
            supplier_id=msg.supplier_id,
            sku=msg.sku,
            price=price,
            currency=msg.new_price.currency,
            detail=f"supplier {msg.supplier_id} item {msg.supplier_sku} changed {msg.change_pct}%",
        )
        self.svc.forget(touched)

    async def order_confirmed(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = cast(orders_events.OrderConfirmed, event.message)
        if not msg.order_id or not msg.customer_id:
            log.warning("order.confirmed without order or customer", extra={"event_id": event.id})
            return
        net = _amount(msg.net_total.amount) or _amount(msg.totals.net.amount) or Decimal(0)
        touched = Touched()
        await self.svc.order_confirmed(
            uow,
            touched,
            order_id=msg.order_id,
            customer_id=_customer(msg.customer_id),
            net_total=net,
            currency=msg.net_total.currency,
            confirmed_at=self._when(msg.confirmed_at, msg.occurred_at),
        )
        self.svc.forget(touched)

    async def order_cancelled(self, uow: UnitOfWork, event: ReceivedEvent) -> None:
        msg = cast(orders_events.OrderCancelled, event.message)
        if not msg.order_id or not msg.customer_id:
            log.warning("order.cancelled without order or customer", extra={"event_id": event.id})
            return
        touched = Touched()
        await self.svc.order_cancelled(
            uow,
            touched,
            order_id=msg.order_id,
            customer_id=_customer(msg.customer_id),
            net_total=_amount(msg.net_total.amount) or Decimal(0),
            currency=msg.net_total.currency,
        )
        self.svc.forget(touched)

    def _when(self, *candidates: Timestamp) -> datetime:
        for ts in candidates:
            if ts.seconds or ts.nanos:
                return from_timestamp(ts)
        return self.svc.clock.now()

    async def after_commit(self, event: ReceivedEvent) -> None:
        """Drop again what the event touched, now that its transaction is committed."""
        invalidate_for(self.svc.cache, event)


CUSTOMER_EVENTS = (
    orders_events.OrderConfirmed,
    orders_events.OrderCancelled,
    pricing_events.CustomerTierChanged,
)


def invalidate_for(cache: PriceCache, event: ReceivedEvent) -> None:
    msg = event.message
    if isinstance(msg, suppliers_events.SupplierPriceChanged | pricing_events.PriceUpdated):
        cache.invalidate_skus({msg.sku})
    elif isinstance(msg, pricing_events.ProductUpserted):
        cache.invalidate_skus({msg.product.sku})
    elif isinstance(msg, CUSTOMER_EVENTS):
        cache.invalidate_customer(_customer(msg.customer_id))


async def listen_for_invalidations(broker: Broker, cache: PriceCache) -> None:
    """Every replica drops cached inputs when any replica announces a change.

    A durable inbox queue would deliver each event to ONE replica; invalidation must
    reach all of them, so each process binds its own exclusive, auto-deleted queue.
    Losing a message here costs at most the cache TTL of staleness, never a wrong write.
    """
    connection = await broker.connection()
    channel = await connection.channel()
    try:
        exchange = await declare_exchanges(channel, broker.exchange_name)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        for routing_key in (PRICE_UPDATED, PRODUCT_UPSERTED, TIER_CHANGED):
            await queue.bind(exchange, routing_key=routing_key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await _invalidate(cache, message)

        await queue.consume(on_message)
        await asyncio.Event().wait()  # consume until cancelled at shutdown
    finally:
        # Bounded: a robust channel waits for a reconnect that, at shutdown with the broker
        # away, never comes; the exclusive queue goes with the connection anyway.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await channel.close()


async def _invalidate(cache: PriceCache, message: aio_pika.abc.AbstractIncomingMessage) -> None:
    async with message.process():
        try:
            event = decode(message)
        except PoisonMessageError as exc:
            log.warning("undecodable invalidation message", extra={"error": str(exc)})
            return
        invalidate_for(cache, event)
