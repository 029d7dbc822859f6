"""What pricing does with other services' events (through the runtime's inbox), and the
per-replica cache invalidation from pricing's own events.

Inbox handlers run inside the consumer's transaction and never commit; the consumer
records the event id with the effect, so a redelivered event has no second effect, and
`versioned` subscriptions drop events older than one already applied. Once the effect is
committed, the consumer's `after_commit` hook drops what the event concerns from this
replica's cache (`invalidate_for`); other replicas drop it when pricing's own resulting
events reach their invalidation queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika

from cypher.orders.v1 import events_pb2 as orders_events
from cypher.pricing.v1 import events_pb2 as pricing_events
from cypher.suppliers.v1 import events_pb2 as suppliers_events
from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from cypher_runtime.messaging.broker import Broker, declare_exchanges
from cypher_runtime.messaging.consumer import PoisonMessageError, Subscription, decode, on
from cypher_runtime.messaging.envelope import ReceivedEvent, event_type_of
from pricing.cache import PriceCache
from pricing.service import PricingService
from pricing.wire import consumed as wire

log = logging.getLogger(__name__)


class EventHandlers:
    def __init__(self, service: PricingService, clock: Clock) -> None:
        self.svc = service
        self.clock = clock

    def supplier_subscriptions(self) -> list[Subscription]:
        return [
            on(suppliers_events.SupplierPriceChanged, self.supplier_price_changed, versioned=True)
        ]

    def order_subscriptions(self) -> list[Subscription]:
        # Versioned per order: a confirm (v2) arriving after its cancel (v5) is dropped;
        # the spend rows also merge "cancelled wins" for events without versions.
        return [
            on(orders_events.OrderConfirmed, self.order_confirmed, versioned=True),
            on(orders_events.OrderCancelled, self.order_cancelled, versioned=True),
        ]

    def customer_subscriptions(self) -> list[Subscription]:
        # Versioned per customer; the known-customers row also keeps the newest version.
        return [on(orders_events.CustomerUpserted, self.customer_upserted, versioned=True)]

    async def customer_upserted(
        self, uow: UnitOfWork, msg: orders_events.CustomerUpserted, event: ReceivedEvent
    ) -> None:
        if not msg.customer_id:
            log.warning("customer.upserted without customer", extra={"event_id": event.id})
            return
        customer = wire.known_customer(msg)
        await self.svc.customers.customer_upserted(uow, customer.customer_id, customer.version)

    async def supplier_price_changed(
        self,
        uow: UnitOfWork,
        msg: suppliers_events.SupplierPriceChanged,
        event: ReceivedEvent,
    ) -> None:
        if not msg.sku or not msg.supplier_id:
            return  # an unmapped supplier item concerns no product of ours
        price = wire.supplier_price(msg)
        if price is None:
            log.warning("supplier price unusable", extra={"event_id": event.id})
            return
        await self.svc.products.apply_supplier_price(
            uow,
            supplier_id=price.supplier_id,
            sku=price.sku,
            price=price.price,
            currency=price.currency,
            detail=price.detail,
        )

    async def order_confirmed(
        self, uow: UnitOfWork, msg: orders_events.OrderConfirmed, event: ReceivedEvent
    ) -> None:
        if not msg.order_id or not msg.customer_id:
            log.warning("order.confirmed without order or customer", extra={"event_id": event.id})
            return
        spend = wire.confirmed_spend(msg)
        await self.svc.customers.order_confirmed(
            uow,
            order_id=spend.order_id,
            customer_id=spend.customer_id,
            net_total=spend.net_total,
            currency=spend.currency,
            confirmed_at=spend.confirmed_at or self.clock.now(),
        )

    async def order_cancelled(
        self, uow: UnitOfWork, msg: orders_events.OrderCancelled, event: ReceivedEvent
    ) -> None:
        if not msg.order_id or not msg.customer_id:
            log.warning("order.cancelled without order or customer", extra={"event_id": event.id})
            return
        spend = wire.cancelled_spend(msg)
        await self.svc.customers.order_cancelled(
            uow,
            order_id=spend.order_id,
            customer_id=spend.customer_id,
            net_total=spend.net_total,
            currency=spend.currency,
        )

    async def after_commit(self, event: ReceivedEvent) -> None:
        """Drop what the event touched, now that its transaction is committed."""
        invalidate_for(self.svc.cache, event)


CUSTOMER_EVENTS = (
    orders_events.OrderConfirmed,
    orders_events.OrderCancelled,
    pricing_events.CustomerTierChanged,
)
INVALIDATING = (
    pricing_events.PriceUpdated,
    pricing_events.ProductUpserted,
    pricing_events.CustomerTierChanged,
)


def invalidate_for(cache: PriceCache, event: ReceivedEvent) -> None:
    msg = event.message
    if isinstance(msg, suppliers_events.SupplierPriceChanged | pricing_events.PriceUpdated):
        cache.invalidate_skus({msg.sku})
    elif isinstance(msg, pricing_events.ProductUpserted):
        cache.invalidate_skus({msg.product.sku})
    elif isinstance(msg, CUSTOMER_EVENTS):
        cache.invalidate_customer(wire.canonical_customer(msg.customer_id))


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
        for message_cls in INVALIDATING:
            await queue.bind(exchange, routing_key=event_type_of(message_cls))

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
